using Widgetify.Cli.Cluster;
using Widgetify.Postgres;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>No instance or HAProxy outlives its 'cluster up', even one killed with SIGKILL.</summary>
[Collection(SerialFleets.Name)]
public sealed class CoordinatorWatchTests
{
    [Theory]
    [InlineData(100, 100, false)]
    [InlineData(1, 100, true)]
    [InlineData(4321, 100, true)]
    public void IsOrphaned_ParentIsOrIsNoLongerTheCoordinator(int parent, int coordinator, bool orphaned) =>
        CoordinatorWatch.IsOrphaned(parent, coordinator).ShouldBe(orphaned);

    [Fact]
    public void IsOrphaned_ParentUnreadable_NotOrphaned() => CoordinatorWatch.IsOrphaned(null, 100).ShouldBeFalse();

    [Fact]
    public void ParentPid_OfThisProcess_IsItsParent() =>
        CoordinatorWatch.ParentPid().ShouldBe(int.Parse(File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task ClusterUp_KilledWithSigkill_ItsInstancesAndHaproxyStopByThemselves()
    {
        using var cluster = await RunningCluster.StartAsync(2, RunningCluster.CalmAdmission);
        var state = cluster.State;
        var balancer = state.BalancerPid!.Value;
        int[] children = [.. state.Instances.Select(i => i.Pid!.Value), balancer];
        try
        {
            cluster.Process.Crash();
            await cluster.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));

            await BoundedWait.UntilAsync(
                () => Task.FromResult(!children.Any(ClusterState.IsAlive)),
                () => "still running: " + string.Join(", ", children.Where(ClusterState.IsAlive)),
                "every instance and HAProxy stopped after their 'cluster up' was killed",
                TimeSpan.FromSeconds(90));
            var logs = state.Instances.Select(i => File.ReadAllText(Path.Combine(ClusterState.Folder(cluster.DataDir.Path), "logs", i.Name + ".log"))).ToList();
            logs.ShouldAllBe(log => log.Contains("is gone"));
            // Whichever instance saw it first stopped HAProxy and waited until it had ended; the other may have found it gone already.
            logs.ShouldContain(log => log.Contains($"HAProxy (pid {balancer}): Stopped after"));
        }
        finally
        {
            // RunningCluster.Dispose stops nothing once 'cluster up' is dead: what a failed run left running is killed here,
            // each pid only while it is still that instance or that HAProxy.
            foreach (var instance in state.Instances)
            {
                if (RollingRestart.RunsInstance(instance.Pid!.Value, instance.Name))
                {
                    ProcessSignal.Send(instance.Pid.Value, ProcessSignal.Kill);
                }
            }

            if (ProcessCommandLine.RunsBalancer(balancer, state.BalancerConfig))
            {
                ProcessSignal.Send(balancer, ProcessSignal.Kill);
            }
        }
    }
}
