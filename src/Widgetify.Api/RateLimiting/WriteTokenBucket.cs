using System.Diagnostics;
using System.Threading.RateLimiting;

namespace Widgetify.Api.RateLimiting;

/// <summary>A token bucket on the injected <see cref="TimeProvider"/>: <see cref="WriteLimit.Burst"/> tokens, refilled
/// continuously at <see cref="WriteLimit.WritesPerSecond"/>, one token per write, never queued.</summary>
/// <remarks>
/// Why not <see cref="TokenBucketRateLimiter"/>: it reads <see cref="Stopwatch"/> itself and replenishes on a timer of
/// its own, so tests cannot drive it with a FakeTimeProvider, and it refills in whole periods (100 tokens at once every
/// second) where this refills a fraction of a token every time it is asked, computed from the elapsed time. Being lazy it
/// has no timer at all: an idle bucket costs its object and nothing else, and once it is full again
/// <see cref="IdleDuration"/> tells <see cref="PartitionedRateLimiter"/> it may be dropped, since a full bucket is
/// indistinguishable from a new one.
/// </remarks>
internal sealed class WriteTokenBucket : RateLimiter
{
    /// <summary>Tokens left after this acquisition, rounded down (the <c>r</c> of the <c>RateLimit</c> field).</summary>
    public static readonly MetadataName<int> Remaining = MetadataName.Create<int>("WIDGETIFY_REMAINING");

    /// <summary>Time until the bucket is full again (the <c>t</c> of the <c>RateLimit</c> field).</summary>
    public static readonly MetadataName<TimeSpan> UntilFull = MetadataName.Create<TimeSpan>("WIDGETIFY_UNTIL_FULL");

    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    // Tokens are counted in units of 1/TimestampFrequency of a token, in integers: a refill is then exact (elapsed
    // timestamp ticks x writes per second), where fractions of a token in floating point would lose a write now and then.
    private readonly long _unitsPerToken;
    private readonly long _capacity;
    private readonly long _perSecond;
    private readonly long _ticksToFill;
    private long _level;
    private long _updatedAt; // TimeProvider timestamp at which _level was exact
    private readonly Action? _onDisposed;
    private long _acquired;
    private long _rejected;
    private int _disposed;

    /// <param name="limit">The bucket's rate and size.</param>
    /// <param name="timeProvider">The clock it refills by.</param>
    /// <param name="onDisposed">Called once when the bucket is dropped (the partitioned limiter's housekeeping).</param>
    public WriteTokenBucket(WriteLimit limit, TimeProvider timeProvider, Action? onDisposed = null)
    {
        _onDisposed = onDisposed;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit.WritesPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit.Burst, 1);
        _timeProvider = timeProvider;
        _unitsPerToken = timeProvider.TimestampFrequency;
        _capacity = limit.Burst * _unitsPerToken;
        _perSecond = limit.WritesPerSecond;
        _ticksToFill = CeilingDivide(_capacity, _perSecond);
        _level = _capacity;
        _updatedAt = timeProvider.GetTimestamp();
    }

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                var now = _timeProvider.GetTimestamp();
                var fullAt = _updatedAt + CeilingDivide(_capacity - _level, _perSecond);
                return now >= fullAt ? _timeProvider.GetElapsedTime(fullAt, now) : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Refill();
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = _level / _unitsPerToken,
                CurrentQueuedCount = 0,
                TotalSuccessfulLeases = _acquired,
                TotalFailedLeases = _rejected,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        lock (_lock)
        {
            Refill();
            var needed = permitCount * _unitsPerToken;
            var granted = _level >= needed;
            if (granted)
            {
                _level -= needed;
                _acquired++;
            }
            else
            {
                _rejected++;
            }

            Debug.Assert(_level >= 0 && _level <= _capacity, "the level stays within the bucket");
            var untilFull = Ticks(CeilingDivide(_capacity - _level, _perSecond));
            var retryAfter = granted ? TimeSpan.Zero : Ticks(CeilingDivide(needed - _level, _perSecond));
            return new Lease(granted, (int)(_level / _unitsPerToken), untilFull, retryAfter);
        }
    }

    // Writes are never queued: a client over its rate is told when to come back instead of holding a connection open.
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _onDisposed?.Invoke();
        }

        base.Dispose(disposing);
    }

    private void Refill()
    {
        var now = _timeProvider.GetTimestamp();
        var elapsed = now - _updatedAt;
        if (elapsed > 0)
        {
            // Compared first, so that a bucket idle for hours cannot overflow the product.
            _level = elapsed >= _ticksToFill ? _capacity : Math.Min(_capacity, _level + (elapsed * _perSecond));
            _updatedAt = now;
        }
    }

    private TimeSpan Ticks(long timestampTicks) => TimeSpan.FromSeconds((double)timestampTicks / _unitsPerToken);

    private static long CeilingDivide(long value, long divisor) => (value + divisor - 1) / divisor;

    private sealed class Lease(bool isAcquired, int remaining, TimeSpan untilFull, TimeSpan retryAfter) : RateLimitLease
    {
        private static readonly string[] Names = [Remaining.Name, UntilFull.Name, MetadataName.RetryAfter.Name];

        public override bool IsAcquired => isAcquired;

        public override IEnumerable<string> MetadataNames => Names;

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName switch
            {
                _ when metadataName == Remaining.Name => remaining,
                _ when metadataName == UntilFull.Name => untilFull,
                _ when metadataName == MetadataName.RetryAfter.Name && !isAcquired => retryAfter,
                _ => null,
            };
            return metadata is not null;
        }
    }
}

/// <summary>A key's write limit: the bucket's refill rate and size.</summary>
internal readonly record struct WriteLimit(int WritesPerSecond, int Burst);
