using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Tests.Measurement;

public sealed class RecoveryDetectorTests
{
    private const double BaselineP99 = 10;
    private static readonly RecoverySecond Healthy = new(Total: 100, Success: 100, P99Milliseconds: 12);
    private static readonly RecoverySecond Failing = new(Total: 100, Success: 50, P99Milliseconds: 12);
    private static readonly RecoverySecond Slow = new(Total: 100, Success: 100, P99Milliseconds: 25);

    [Fact]
    public void SecondsToRecover_HealthyAtOnce_Zero()
    {
        RecoveryDetector.SecondsToRecover([Healthy, Healthy, Healthy, Healthy], BaselineP99).ShouldBe(0);
    }

    [Fact]
    public void SecondsToRecover_TwoBadSecondsFirst_Two()
    {
        RecoveryDetector.SecondsToRecover([Failing, Slow, Healthy, Healthy, Healthy], BaselineP99).ShouldBe(2);
    }

    [Fact]
    public void SecondsToRecover_RelapseBeforeThreeSeconds_CountsFromTheLastRelapse()
    {
        RecoveryDetector.SecondsToRecover([Healthy, Healthy, Failing, Healthy, Healthy, Healthy], BaselineP99).ShouldBe(3);
    }

    [Fact]
    public void SecondsToRecover_NeverThreeInARow_Null()
    {
        RecoveryDetector.SecondsToRecover([Healthy, Healthy, Slow, Healthy, Healthy], BaselineP99).ShouldBeNull();
    }

    [Fact]
    public void IsHealthy_NoRequests_NotHealthy()
    {
        RecoveryDetector.IsHealthy(new RecoverySecond(0, 0, 0), BaselineP99).ShouldBeFalse();
    }

    [Theory]
    [InlineData(100, 99, 20, true)]    // exactly 99% and exactly 2x the baseline p99
    [InlineData(100, 98, 5, false)]    // below 99%
    [InlineData(100, 100, 20.1, false)] // above 2x
    public void IsHealthy_AtTheLimits_Inclusive(long total, long success, double p99, bool expected)
    {
        RecoveryDetector.IsHealthy(new RecoverySecond(total, success, p99), BaselineP99).ShouldBe(expected);
    }
}
