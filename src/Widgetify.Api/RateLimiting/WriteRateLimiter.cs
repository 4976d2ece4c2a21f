using System.Threading.RateLimiting;

namespace Widgetify.Api.RateLimiting;

/// <summary>One <see cref="WriteTokenBucket"/> per API key and limit, in a <see cref="PartitionedRateLimiter"/>, whose
/// housekeeping drops a bucket once it has been full for a while (see <see cref="WriteTokenBucket.IdleDuration"/>): a
/// key that stops writing costs no memory some seconds later, however many keys have written.</summary>
/// <remarks>The limit is part of the partition: a tenant whose limit changes gets new buckets at the new size, and the old
/// ones are dropped once idle.</remarks>
internal sealed class WriteRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<WritePartition> _limiter;
    private int _liveBuckets;

    public WriteRateLimiter(TimeProvider timeProvider) =>
        _limiter = PartitionedRateLimiter.Create<WritePartition, WritePartition>(partition => RateLimitPartition.Get(partition, p =>
        {
            Interlocked.Increment(ref _liveBuckets);
            return new WriteTokenBucket(p.Limit, timeProvider, () => Interlocked.Decrement(ref _liveBuckets));
        }));

    /// <summary>Buckets held now: one per key that wrote recently.</summary>
    internal int LiveBuckets => Volatile.Read(ref _liveBuckets);

    /// <summary>Takes one write from the key's bucket; never waits.</summary>
    public RateLimitLease Acquire(Guid keyId, WriteLimit limit) => _limiter.AttemptAcquire(new WritePartition(keyId, limit));

    public void Dispose() => _limiter.Dispose();

    /// <summary>A key (by a hash of it: never the key itself) and the limit it is under.</summary>
    private readonly record struct WritePartition(Guid KeyId, WriteLimit Limit);
}
