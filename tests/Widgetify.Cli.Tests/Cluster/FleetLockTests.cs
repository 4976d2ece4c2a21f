using Widgetify.Cli.Cluster;
using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>A second 'cluster up' on a data folder is refused while the first holds its lock, also before the first has
/// written cluster.json (while it starts).</summary>
public sealed class FleetLockTests
{
    [Fact]
    public async Task Up_WhileAnotherCoordinatorHoldsTheLock_RefusesBeforeStartingAnything()
    {
        using var dataDir = new TempDataDir();
        using var held = ClusterLock.TryTake(dataDir.Path, ClusterLock.CoordinatorFile);
        held.ShouldNotBeNull();

        var (exitCode, _, stderr) = await CliProcess.RunAsync(
            "cluster", "up", "--instances", "2", "--data-dir", dataDir.Path,
            "--port", CliProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--demo-widgets", "0");

        exitCode.ShouldBe(2, stderr);
        stderr.ShouldContain("already runs (or is starting)");
        File.Exists(dataDir.PostmasterPidFile).ShouldBeFalse("nothing was started");
    }
}
