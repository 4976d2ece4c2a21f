using Widgetify.Cli.Cluster.Autoscaling;
using Widgetify.Scaling.Signals;

namespace Widgetify.Cli.Tests.Cluster.Autoscaling;

/// <summary>How the leader's second is combined with the other instances' seconds.</summary>
public sealed class FleetSignalSourceTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Combine_AnotherInstanceSaturated_TakesTheWorstOfEachSignalAndKeepsOwnReplicaCounts()
    {
        var leader = new ReadPathSignals { At = At, ReadPoolUtilization = 0.2, ReadP99Seconds = 0.01, ReadAdmittedPerSecond = 100, ReadyReplicas = 1, LiveReplicas = 1 };
        var other = new ReadPathSignals
        {
            At = At.AddMilliseconds(300), ReadPoolUtilization = 0.9, ReadAcquireWaitedRatio = 0.3, ReadP99Seconds = 0.4, ReadShedPerSecond = 10,
            ReadAdmittedPerSecond = 90, CpuUtilization = 0.5, ReadyReplicas = 0,
        };

        var combined = FleetSignalSource.Combine(leader, [[other]]);

        combined.At.ShouldBe(At);
        combined.ReadPoolUtilization.ShouldBe(0.9);
        combined.ReadAcquireWaitedRatio.ShouldBe(0.3);
        combined.ReadP99Seconds.ShouldBe(0.4);
        combined.CpuUtilization.ShouldBe(0.5);
        combined.ReadShedRatio.ShouldBe(0.1);
        combined.ReadyReplicas.ShouldBe(1, "the counts are the leader's own router's");
    }

    [Fact]
    public void Combine_OtherSecondsFarInTime_AreLeftOut()
    {
        var leader = new ReadPathSignals { At = At, ReadPoolUtilization = 0.2 };
        var old = new ReadPathSignals { At = At - FleetSignalSource.Match - TimeSpan.FromMilliseconds(1), ReadPoolUtilization = 1 };

        var combined = FleetSignalSource.Combine(leader, [[old]]);

        combined.ShouldBe(leader);
    }

    [Fact]
    public void Combine_SeveralSecondsOfOneInstance_TakesTheNearest()
    {
        var leader = new ReadPathSignals { At = At, ReadPoolUtilization = 0.1, ReadP99Seconds = null };
        var before = new ReadPathSignals { At = At.AddMilliseconds(-900), ReadPoolUtilization = 0.9 };
        var nearest = new ReadPathSignals { At = At.AddMilliseconds(100), ReadPoolUtilization = 0.3, ReadP99Seconds = 0.05 };

        var combined = FleetSignalSource.Combine(leader, [[before, nearest]]);

        combined.ReadPoolUtilization.ShouldBe(0.3);
        combined.ReadP99Seconds.ShouldBe(0.05, "a second with no read served on the leader takes the other's p99");
    }
}
