using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Tests.Reporting;

/// <summary>Hand-made results for the report writers and target checks.</summary>
internal static class SampleReports
{
    public static PhaseResult Phase(
        string name, double goodput, double p99Ms, long shed = 0, long errorStatuses = 0, long notSent = 0, int seconds = 10, int peakPg = 20)
    {
        var successes = (long)(goodput * seconds);
        var requests = successes + shed + errorStatuses + notSent;
        return new PhaseResult
        {
            Phase = name,
            Seconds = seconds,
            OfferedRate = requests / (double)seconds,
            SentRate = (requests - notSent) / (double)seconds,
            Goodput = goodput,
            Requests = requests,
            Successes = successes,
            Shed = shed,
            ShedWithRetryAfter = shed,
            ErrorStatuses = errorStatuses,
            Timeouts = 0,
            ConnectionErrors = 0,
            NotSent = notSent,
            SuccessPercent = requests == 0 ? 0 : 100.0 * successes / requests,
            ShedPercent = requests == 0 ? 0 : 100.0 * shed / requests,
            ErrorPercent = requests == 0 ? 0 : 100.0 * (errorStatuses + notSent) / requests,
            P50Ms = p99Ms / 4,
            P99Ms = p99Ms,
            P999Ms = p99Ms * 2,
            MaxMs = p99Ms * 3,
            ShedP99Ms = 1,
            DispatchLagP99Ms = 0.5,
            PeakPgConnections = peakPg,
        };
    }

    public static ConfigurationResult Configuration(
        int number, double stormGoodput, double stormP99, long stormErrors = 0, int? recover = 1, int peakPg = 50, double baselineP99 = 5)
    {
        var series = new List<SecondResult>();
        for (var second = 0; second < 6; second++)
        {
            series.Add(new SecondResult(second, second < 2 ? "baseline" : second < 4 ? "storm" : "recovery", 100, 90, 10, 0,
                second == 3 && number != 5 ? null : stormP99 * (second + 1) / 3, peakPg));
        }

        return new ConfigurationResult
        {
            Number = number,
            Name = $"config {number}",
            Description = $"the {number}th",
            Environment = new Dictionary<string, string> { ["Widgetify__Database__ApplicationName"] = $"widgetify-bench-{number}" },
            Baseline = Phase("baseline", 200, baselineP99),
            Storm = Phase("storm", stormGoodput, stormP99, shed: 1000, errorStatuses: stormErrors),
            Recovery = Phase("recovery", 200, baselineP99),
            SecondsToRecover = recover,
            PeakPgConnections = peakPg,
            PeakOwnConnections = peakPg,
            StatusCounts = new Dictionary<int, long> { [200] = 1000, [503] = 1000 },
            Series = series,
        };
    }

    public static ConfigurationResult Failed(int number, string why) => new()
    {
        Number = number,
        Name = $"config {number}",
        Description = "fails",
        Environment = new Dictionary<string, string>(),
        Failure = why,
    };

    public static StormReport Report(params ConfigurationResult[] configurations) => new()
    {
        CommandLine = "./widgetify bench storm --configs 1,5",
        StartedAt = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero),
        Machine = new MachineFacts(2, "Linux", ".NET 10", "15.18", 100, 3),
        ServiceVersion = "abc1234",
        Capacity = new CapacityResult(1000, Measured: true, [new RampStepResult(4, 3, 2400, 0, 800), new RampStepResult(8, 3, 3000, 0, 1000)]),
        BaselineRate = 200,
        StormRate = 10_000,
        Clients = 2000,
        ClientTimeoutSeconds = 5,
        WarmupSeconds = 3,
        BaselineSeconds = 2,
        StormSeconds = 2,
        RecoverySeconds = 2,
        Configurations = configurations,
        Targets = [new TargetCheck("goodput ≥ 90% of capacity", true, "950 req/s"), new TargetCheck("recovered within 2 s", false, "not within 2 s | x")],
        Notes = ["a note"],
    };
}
