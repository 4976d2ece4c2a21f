using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.RateLimiting;

namespace Widgetify.Api.Tests.RateLimiting;

public sealed class WriteTokenBucketTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void AttemptAcquire_FullBucket_GrantsTheBurstThenRefuses()
    {
        using var bucket = new WriteTokenBucket(new WriteLimit(100, 200), _time);

        var granted = Enumerable.Range(0, 200).Count(_ => Acquire(bucket).IsAcquired);
        using var refused = bucket.AttemptAcquire();

        granted.ShouldBe(200);
        refused.IsAcquired.ShouldBeFalse();
        refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter).ShouldBeTrue();
        retryAfter.ShouldBe(TimeSpan.FromMilliseconds(10), "one token comes back every 1/100 s");
        refused.TryGetMetadata(WriteTokenBucket.Remaining, out var remaining).ShouldBeTrue();
        remaining.ShouldBe(0);
    }

    [Fact]
    public void AttemptAcquire_AfterTimePasses_RefillsAtTheRateUpToTheBurst()
    {
        using var bucket = new WriteTokenBucket(new WriteLimit(100, 200), _time);
        Drain(bucket);

        _time.Advance(TimeSpan.FromMilliseconds(500));
        var afterHalfASecond = Drain(bucket);
        _time.Advance(TimeSpan.FromSeconds(60));
        var afterAMinute = Drain(bucket);

        afterHalfASecond.ShouldBe(50);
        afterAMinute.ShouldBe(200, "the bucket holds at most the burst, however long it rested");
    }

    [Fact]
    public void AttemptAcquire_Sustained_GrantsTheRatePerSecond()
    {
        using var bucket = new WriteTokenBucket(new WriteLimit(100, 200), _time);
        Drain(bucket);

        var granted = 0;
        for (var ms = 0; ms < 10_000; ms++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            granted += Drain(bucket);
        }

        granted.ShouldBe(1000, "10 s at 100 writes/s");
    }

    [Fact]
    public void AttemptAcquire_Granted_ReportsRemainingAndTimeUntilFull()
    {
        using var bucket = new WriteTokenBucket(new WriteLimit(10, 20), _time);

        using var lease = bucket.AttemptAcquire();

        lease.TryGetMetadata(WriteTokenBucket.Remaining, out var remaining).ShouldBeTrue();
        lease.TryGetMetadata(WriteTokenBucket.UntilFull, out var untilFull).ShouldBeTrue();
        remaining.ShouldBe(19);
        untilFull.ShouldBe(TimeSpan.FromMilliseconds(100));
        lease.TryGetMetadata(MetadataName.RetryAfter, out _).ShouldBeFalse("a granted write has nothing to retry");
    }

    [Fact]
    public void IdleDuration_UntilTheBucketIsFullAgain_IsNull()
    {
        using var bucket = new WriteTokenBucket(new WriteLimit(100, 200), _time);
        Drain(bucket);

        _time.Advance(TimeSpan.FromMilliseconds(1999));
        var beforeFull = bucket.IdleDuration;
        _time.Advance(TimeSpan.FromSeconds(11) + TimeSpan.FromMilliseconds(1));
        var afterFull = bucket.IdleDuration;

        beforeFull.ShouldBeNull("a bucket that is not full holds state a new one would not: it must not be dropped");
        afterFull.ShouldBe(TimeSpan.FromSeconds(11), "full for 11 s: the partitioned limiter drops buckets idle over 10 s");
    }

    [Fact]
    public void GetStatistics_CountsGrantsAndRefusals()
    {
        using var bucket = new WriteTokenBucket(new WriteLimit(1, 2), _time);

        for (var i = 0; i < 5; i++)
        {
            Acquire(bucket).Dispose();
        }

        var statistics = bucket.GetStatistics()!;
        statistics.TotalSuccessfulLeases.ShouldBe(2);
        statistics.TotalFailedLeases.ShouldBe(3);
        statistics.CurrentAvailablePermits.ShouldBe(0);
    }

    private static RateLimitLease Acquire(WriteTokenBucket bucket) => bucket.AttemptAcquire();

    private static int Drain(WriteTokenBucket bucket)
    {
        var granted = 0;
        while (true)
        {
            using var lease = bucket.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                return granted;
            }

            granted++;
        }
    }
}
