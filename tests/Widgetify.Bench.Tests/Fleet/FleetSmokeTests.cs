using Widgetify.Bench.Fleet;
using Widgetify.Bench.Tests.Storm;

namespace Widgetify.Bench.Tests.Fleet;

/// <summary><c>bench fleet</c> at its smallest, end to end: a real 'cluster up' (PostgreSQL, instances, HAProxy) at 1 then
/// 2 instances, a few seconds of load each, the rolling restart and the kill -9 at 2, the table written, everything
/// stopped. It checks the pipeline and the table, never how fast anything is.</summary>
public sealed class FleetSmokeTests : IDisposable
{
    private readonly string output = Path.Combine(Path.GetTempPath(), $"widgetify-fleet-smoke-{Guid.NewGuid():N}");

    [Fact]
    public async Task RunAsync_OneThenTwoInstancesWithFaults_MeasuresEveryPhaseAgainstTheBudget()
    {
        var settings = new FleetSettings
        {
            ServiceDll = StormSmokeTests.ServiceDll(),
            OutputDirectory = output,
            CommandLine = "test",
            InstanceCounts = [2, 1],
            Seconds = 3,
            Rate = 40,
            DemoWidgets = 50,
            FaultTail = TimeSpan.FromSeconds(1),
        };
        using var console = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));

        var report = await new FleetRunner(settings, console).RunAsync(timeout.Token);

        report.Results.Select(r => (r.Phase, r.Instances)).ShouldBe(
            [(FleetRunner.SteadyPhase, 1), (FleetRunner.SteadyPhase, 2), (FleetRunner.RestartPhase, 2), (FleetRunner.KillPhase, 2)], console.ToString());
        foreach (var result in report.Results)
        {
            result.Budget.ShouldNotBeNull(console.ToString());
            result.PeakInstanceConnections.ShouldBeGreaterThan(0, "the sampler must see the instances' connections");
            result.Served.ShouldBeGreaterThan(0);
        }

        report.Results[0].Requests.ShouldBe(120); // 3 s at 40/s after the warm-up, every one recorded whatever became of it
        report.Results[2].Note.ShouldStartWith("restart took");
        report.Results[2].RestartExitCode.ShouldBe(0);
        report.Results[2].RestartSeconds.ShouldNotBeNull().ShouldBeGreaterThan(0.0);
        report.Results[3].Note.ShouldContain("ready again as pid");
        var table = File.ReadAllText(Path.Combine(output, "fleet.md"));
        table.ShouldContain(FleetMarkdown.Header);
        table.ShouldContain("| kill -9 api-1 | 2 | 40 |");
        // The verdict is in the table as the exit code reads it: every missed goal listed, or "met".
        table.ShouldContain(report.MissedGoals.Count == 0 ? "Goals: met" : "Goals missed:");
        report.MissedGoals.ShouldAllBe(missed => table.Contains("- " + missed));
    }

    public void Dispose()
    {
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
