using Widgetify.PoolReview.History;
using static Widgetify.PoolReview.Tests.History.Seconds;

namespace Widgetify.PoolReview.Tests.History;

public sealed class MinuteAccumulatorTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(59.5, 0)]
    [InlineData(60, 0)]
    [InlineData(60.001, 1)]
    [InlineData(121, 2)]
    public void MinuteOf_SecondEndingAt_BelongsToTheMinuteItEndsIn(double endsAfter, int minute)
    {
        // Act
        var start = MinuteAccumulator.MinuteOf(T0.AddSeconds(endsAfter));

        // Assert: a second ending exactly on the minute is the previous minute's last.
        start.ShouldBe(T0.AddMinutes(minute));
        start.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Complete_IdlePrimary_HasNoQuantilesButCountsItsSeconds()
    {
        // Arrange
        var accumulator = new MinuteAccumulator(PoolHistory.PrimaryServer, T0);
        for (var n = 1; n <= 60; n++)
        {
            accumulator.Add(PoolSecond.Primary(Second(n, used: 0, requests: 0)));
        }

        // Act
        var minute = accumulator.Complete("a");

        // Assert: nothing was opened, so there is no wait to report, not a wait of zero.
        minute.SecondsMeasured.ShouldBe(60);
        minute.Opens.ShouldBe(0);
        minute.AcquireWaitP99Seconds.ShouldBeNull();
        minute.HoldTimeP99Seconds.ShouldBeNull();
        minute.Requests.ShouldBe(0);
        minute.RequestRate.ShouldBe(0);
    }

    [Fact]
    public void Complete_ShortIntervals_RateIsPerSecondMeasured()
    {
        // Arrange: a loop evaluating every 100 ms, for 10 s of the minute.
        var accumulator = new MinuteAccumulator(PoolHistory.PrimaryServer, T0);
        for (var n = 1; n <= 100; n++)
        {
            accumulator.Add(PoolSecond.Primary(Second(0, requests: 3) with { At = T0.AddMilliseconds(100 * n), Interval = TimeSpan.FromMilliseconds(100) }));
        }

        // Act
        var minute = accumulator.Complete("a");

        // Assert
        minute.SecondsMeasured.ShouldBe(10, 1e-9);
        minute.Requests.ShouldBe(300);
        minute.RequestRate!.Value.ShouldBe(30, 1e-9);
    }
}
