using System.Text.Json;
using Widgetify.Bench.Storm;

namespace Widgetify.Bench.Tests.Storm;

/// <summary>One configuration end to end, with tiny phases: embedded PostgreSQL, the real service process,
/// open-loop load, sampling, reports, and everything stopped afterwards. It checks that the pipeline works,
/// never how fast anything is (speed lives in the benchmark's own reports).</summary>
public sealed class StormSmokeTests : IDisposable
{
    private readonly string output = Path.Combine(Path.GetTempPath(), $"widgetify-storm-smoke-{Guid.NewGuid():N}");

    [Fact]
    public async Task RunAsync_WidgetifyConfigurationTinyPhases_MeasuresAndWritesReports()
    {
        var settings = new StormSettings
        {
            ServiceDll = ServiceDll(),
            OutputDirectory = output,
            Configurations = [5],
            Capacity = 20,         // no ramp (the smoke test is about the pipeline); storm = max(10 x 20, 400)
            BaselineRate = 40,
            StormRate = 400,
            Clients = 64,
            ClientTimeout = TimeSpan.FromSeconds(2),
            WarmupSeconds = 1,
            BaselineSeconds = 2,
            StormSeconds = 2,
            RecoverySeconds = 3,
            DemoWidgets = 100,
            ResolutionWait = TimeSpan.FromSeconds(2), // the pipeline, not whether this tiny storm's incident resolves
        };
        using var console = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var report = await new StormRunner(settings, console).RunAsync(timeout.Token);

        var result = report.Configurations.ShouldHaveSingleItem();
        result.Failure.ShouldBeNull(console.ToString());
        result.Baseline!.Requests.ShouldBe(80);
        result.Baseline.Successes.ShouldBeGreaterThan(0);
        result.Storm!.Requests.ShouldBe(800);
        result.Series.Count.ShouldBe(7);
        result.PeakPgConnections.ShouldBeGreaterThan(0, "the sampler must see the service's connections");
        report.Machine.MaxConnections.ShouldBe(100);
        report.Targets.ShouldNotBeEmpty();
        var detection = result.Detection.ShouldNotBeNull();
        detection.NotMeasured.ShouldBeNull("the service writes an operator key");
        detection.Polls.ShouldBeGreaterThan(0);
        detection.OnsetUtc.ShouldNotBeNull();
        result.DetectionTargets.Count.ShouldBe(3);
        result.Environment["Widgetify__Monitoring__Incidents__ResolveAfter"].ShouldBe("00:00:10");

        File.ReadAllText(Path.Combine(output, "storm.md")).ShouldContain("| 5 | Widgetify | ");
        File.ReadAllText(Path.Combine(output, "storm.md")).ShouldContain("## Detection and incident");
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "storm.json"))))
        {
            json.RootElement.GetProperty("configurations")[0].GetProperty("series").GetArrayLength().ShouldBe(7);
            json.RootElement.GetProperty("configurations")[0].GetProperty("detection").GetProperty("polls").GetInt32().ShouldBeGreaterThan(0);
        }

        File.ReadAllText(Path.Combine(output, "storm.svg")).ShouldStartWith("<svg");
        File.ReadAllText(Path.Combine(output, "service-5.log")).ShouldContain("Widgetify is up");
        File.ReadAllText(Path.Combine(output, "postgresql.log")).ShouldContain("database system is shut down");
    }

    public void Dispose()
    {
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>widgetify.dll of the same build configuration as this test assembly (the solution build makes it).</summary>
    internal static string ServiceDll()
    {
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = baseDirectory.Parent!.Name; // bin/<Configuration>/net10.0
        var root = StormCommand.RepositoryRoot();
        foreach (var candidate in new[] { configuration, "Release", "Debug" })
        {
            var dll = Path.Combine(root, "src", "Widgetify.Cli", "bin", candidate, "net10.0", "widgetify.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        throw new InvalidOperationException($"No widgetify.dll under {root}/src/Widgetify.Cli/bin: build the solution (or src/Widgetify.Cli) first.");
    }
}
