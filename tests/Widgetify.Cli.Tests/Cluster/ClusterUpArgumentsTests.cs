using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>'cluster up' refuses bounds of the autoscaler that would leave it off while its banner said it was on.</summary>
public sealed class ClusterUpArgumentsTests
{
    [Theory]
    [InlineData("1", "1")]
    [InlineData("2", "1")]
    public async Task Up_MaxReplicasNotAboveReplicas_IsRefusedBeforeStartingAnything(string replicas, string maxReplicas)
    {
        using var dataDir = new TempDataDir();

        var (exitCode, _, stderr) = await CliProcess.RunAsync(
            "cluster", "up", "--instances", "2", "--replicas", replicas, "--max-replicas", maxReplicas, "--data-dir", dataDir.Path,
            "--port", CliProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--demo-widgets", "0");

        exitCode.ShouldNotBe(0, stderr);
        stderr.ShouldContain($"--max-replicas ({maxReplicas}) must be above --replicas ({replicas})");
        File.Exists(dataDir.PostmasterPidFile).ShouldBeFalse("nothing was started");
    }
}
