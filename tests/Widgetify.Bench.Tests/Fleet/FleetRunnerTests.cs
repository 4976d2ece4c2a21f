using System.Diagnostics;
using Widgetify.Bench.Fleet;

namespace Widgetify.Bench.Tests.Fleet;

public sealed class FleetRunnerTests
{
    [Fact]
    public async Task RunsInstance_OnlyAProcessWithExactlyThatClusterInstanceArgument()
    {
        // A shell that stays one (its command is not its last), with the arguments an instance of the fleet has.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in (string[])["-c", "sleep 30; :", "up", "--cluster-instance", "api-1"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            await Widgetify.Testing.BoundedWait.UntilAsync(
                () => FleetRunner.RunsInstance(process.Id, "api-1"), () => "not yet", "the shell ran with its arguments", TimeSpan.FromSeconds(10));

            FleetRunner.RunsInstance(process.Id, "api-10").ShouldBeFalse();
            FleetRunner.RunsInstance(process.Id, "api").ShouldBeFalse();
            FleetRunner.RunsInstance(Environment.ProcessId, "api-1").ShouldBeFalse();
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
