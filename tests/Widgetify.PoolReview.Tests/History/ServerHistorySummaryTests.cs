using Widgetify.PoolReview.History;
using static Widgetify.PoolReview.Tests.History.Seconds;

namespace Widgetify.PoolReview.Tests.History;

public sealed class ServerHistorySummaryTests
{
    [Fact]
    public void Of_TwoInstancesOnThePrimary_GivesOneInstancesPeaksAndTheFleetsPeakInUse()
    {
        // Arrange
        PoolMinute[] minutes =
        [
            Minute("a", 0, peakInUse: 4, opens: 600, requests: 3000, holdP99: 0.05),
            Minute("b", 0, peakInUse: 5, opens: 300, requests: 1500, holdP99: 0.04),
            Minute("a", 1, peakInUse: 6, opens: 1200, requests: 6000, holdP99: 0.2),
            Minute("b", 1, peakInUse: 1, opens: 60, requests: 600, holdP99: 0.01),
        ];

        // Act
        var primary = ServerHistorySummary.Of(minutes).ShouldHaveSingleItem();

        // Assert: by Little's law one instance needs about 20/s x 0.2 s = 4 connections at the worst minute's p99.
        (primary.Server, primary.Instances, primary.MinutesCovered).ShouldBe((PoolHistory.PrimaryServer, 2, 2));
        primary.PeakInUse.ShouldBe(6);
        primary.PeakInUseAllInstances.ShouldBe(9, "4 + 5 in the first minute");
        primary.PeakOpenRate.ShouldBe(20);
        primary.PeakRequestRate.ShouldBe(100);
        primary.MaxHoldTimeP99Seconds.ShouldBe(0.2);
        primary.Timeouts.ShouldBe(0);
    }

    [Fact]
    public void Of_OneBadMinuteInTwoHundred_AcquireWaitP99IsTheUsualMinutes()
    {
        // Arrange
        var minutes = Enumerable.Range(0, 200).Select(m => Minute("a", m, acquireP99: m == 17 ? 0.9 : 0.002)).ToList();

        // Act
        var primary = ServerHistorySummary.Of(minutes).ShouldHaveSingleItem();

        // Assert: nearest rank 198 of 200 leaves the worst two minutes out.
        primary.AcquireWaitP99Seconds.ShouldBe(0.002);
    }

    [Fact]
    public void Of_StandbyMinutes_LeavesWhatIsNotTimedNullAndOrdersServersByName()
    {
        // Arrange
        PoolMinute[] minutes =
        [
            Minute("a", 0, server: "standby-2", opens: 300, requests: null, acquireP99: null, holdP99: null),
            Minute("a", 0),
        ];

        // Act
        var servers = ServerHistorySummary.Of(minutes);

        // Assert
        servers.Select(s => s.Server).ShouldBe([PoolHistory.PrimaryServer, "standby-2"]);
        var standby = servers[1];
        standby.PeakOpenRate.ShouldBe(5);
        standby.AcquireWaitP99Seconds.ShouldBeNull();
        standby.MaxHoldTimeP99Seconds.ShouldBeNull();
        standby.PeakRequestRate.ShouldBeNull();
        standby.Timeouts.ShouldBeNull();
    }
}
