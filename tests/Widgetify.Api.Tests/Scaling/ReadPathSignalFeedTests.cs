using Microsoft.Extensions.Logging.Abstractions;
using Widgetify.Api.Scaling;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Tests.Scaling;

/// <summary>Which pool's saturation the autoscaler reads: the ready standbys' when there are any, else the primary's; and
/// the recent seconds the feed keeps for an autoscaler tick that comes late.</summary>
public sealed class ReadPathSignalFeedTests : IAsyncDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    // No standby is ever added, so the router never opens a connection.
    private readonly ReadRouter router = new(
        new ReplicaOptions(), (_, _) => throw new InvalidOperationException("no read is routed in these tests"), "test", TimeProvider.System,
        NullLoggerFactory.Instance);

    [Fact]
    public void From_NoStandby_ReadsThePrimaryPoolAndTheServiceShedsAndP99()
    {
        // 3 of 10 opens waited longer than 50 ms; 40 of 50 connections in use; 25 of 125 requests shed.
        var second = new SignalSnapshot
        {
            At = At,
            Requests = 125,
            Shed = 25,
            PoolUsed = 40,
            ConnectionShare = 50,
            AcquireWait = new LatencyDistribution([0.01, 0.05, 0.1], [5, 2, 3, 0]),
            ServedLatency = new LatencyDistribution([0.1, 0.2], [0, 100, 0]),
        };

        var signals = ReadPathSignalFeed.From(second, [], waitThresholdSeconds: 0.05);

        signals.At.ShouldBe(At);
        signals.ReadPoolUtilization.ShouldBe(0.8);
        signals.ReadAcquireWaitedRatio.ShouldBe(0.3);
        signals.ReadShedPerSecond.ShouldBe(25);
        signals.ReadAdmittedPerSecond.ShouldBe(100);
        signals.ReadP99Seconds!.Value.ShouldBe(0.199, 0.001);
        signals.CpuUtilization.ShouldBeNull();
        (signals.ReadyReplicas, signals.LiveReplicas).ShouldBe((0, 0));
    }

    [Fact]
    public void From_ReadyStandbys_ReadsTheirSharesAndCountsLiveOnes()
    {
        // The primary's pool is full of writes, but reads go to the two ready standbys: 12 holding a connection of
        // 20, 4 more waiting. A lagging and a starting standby are live; a down and a draining one are not.
        var second = new SignalSnapshot { At = At, PoolUsed = 50, ConnectionShare = 50 };
        ReadServerStatus[] standbys =
        [
            Standby("standby-1", ReadServerState.Ready, inFlight: 10, share: 10, waiting: 4),
            Standby("standby-2", ReadServerState.Ready, inFlight: 6, share: 10, waiting: 0),
            Standby("standby-3", ReadServerState.Lagging, inFlight: 0, share: 10, waiting: 0),
            Standby("standby-4", ReadServerState.Starting, inFlight: 0, share: 0, waiting: 0),
            Standby("standby-5", ReadServerState.Down, inFlight: 0, share: 10, waiting: 0),
            Standby("standby-6", ReadServerState.Draining, inFlight: 2, share: 10, waiting: 0),
        ];

        var signals = ReadPathSignalFeed.From(second, standbys, waitThresholdSeconds: 0.05);

        signals.ReadPoolUtilization.ShouldBe(0.6);
        signals.ReadAcquireWaitedRatio.ShouldBe(0.25);
        (signals.ReadyReplicas, signals.LiveReplicas).ShouldBe((2, 4));
    }

    [Fact]
    public void From_QuietSecond_IsZeroWithoutP99()
    {
        var signals = ReadPathSignalFeed.From(new SignalSnapshot { At = At }, [], waitThresholdSeconds: 0.05);

        signals.ReadPoolUtilization.ShouldBe(0);
        signals.ReadAcquireWaitedRatio.ShouldBe(0);
        signals.ReadShedRatio.ShouldBe(0);
        signals.ReadP99Seconds.ShouldBeNull();
    }

    [Fact]
    public void GetRecent_MoreSecondsThanKept_TheLastOnesOldestFirst()
    {
        // Arrange
        var feed = new ReadPathSignalFeed(router, new AlertOptions());
        var history = new SignalHistory(1);

        // Act
        for (var second = 1; second <= ReadPathSignalFeed.RecentSeconds + 2; second++)
        {
            feed.Observe(new SignalSnapshot { At = At.AddSeconds(second), Requests = 10, Shed = 1 }, [], history, []);
        }

        // Assert
        var recent = feed.GetRecent();
        recent.Select(s => (s.At - At).TotalSeconds).ShouldBe(Enumerable.Range(3, ReadPathSignalFeed.RecentSeconds).Select(s => (double)s));
        recent[^1].ReadShedPerSecond.ShouldBe(1);
    }

    [Fact]
    public void GetRecent_NothingObservedYet_Empty()
    {
        var feed = new ReadPathSignalFeed(router, new AlertOptions());

        feed.GetRecent().ShouldBeEmpty();
    }

    public ValueTask DisposeAsync() => router.DisposeAsync();

    private static ReadServerStatus Standby(string name, ReadServerState state, int inFlight, int share, int waiting) =>
        new(name, "standby", "127.0.0.1", 5433, state, ReplicationLag.None, 0, inFlight, share, null) { Waiting = waiting };
}
