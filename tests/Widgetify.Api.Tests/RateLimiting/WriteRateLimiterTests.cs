using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.RateLimiting;

namespace Widgetify.Api.Tests.RateLimiting;

public sealed class WriteRateLimiterTests
{
    [Fact]
    public async Task Acquire_ManyKeysThenQuiet_DropsEveryBucketOnceFullAndIdle()
    {
        // Arrange: 1,000 keys write once each, then stop.
        var time = new FakeTimeProvider();
        using var limiter = new WriteRateLimiter(time);
        var limit = new WriteLimit(100, 200);
        for (var i = 0; i < 1000; i++)
        {
            using var lease = limiter.Acquire(Guid.NewGuid(), limit);
            lease.IsAcquired.ShouldBeTrue();
        }

        var afterWrites = limiter.LiveBuckets;

        // Act: their buckets are full again after 10 ms; the limiter drops a bucket idle for more than 10 s. Its
        // housekeeping runs on a timer of its own (every 100 ms of real time), which reads the buckets' fake clock.
        time.Advance(TimeSpan.FromSeconds(11));

        // Assert
        afterWrites.ShouldBe(1000);
        await BoundedWait.UntilAsync(() => limiter.LiveBuckets == 0, () => $"{limiter.LiveBuckets} buckets", "idle buckets are dropped");
    }

    [Fact]
    public void Acquire_SameKeyAndLimit_SharesOneBucket_NewLimit_GetsANewOne()
    {
        using var limiter = new WriteRateLimiter(new FakeTimeProvider());
        var key = Guid.NewGuid();

        using (limiter.Acquire(key, new WriteLimit(1, 2)))
        using (limiter.Acquire(key, new WriteLimit(1, 2)))
        using (var third = limiter.Acquire(key, new WriteLimit(1, 2)))
        using (var raised = limiter.Acquire(key, new WriteLimit(1, 5)))
        {
            third.IsAcquired.ShouldBeFalse("the two writes before used up the burst of 2");
            raised.IsAcquired.ShouldBeTrue("a changed limit starts a bucket of its own");
        }

        limiter.LiveBuckets.ShouldBe(2);
    }
}
