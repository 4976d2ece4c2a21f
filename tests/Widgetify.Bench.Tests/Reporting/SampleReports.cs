using Widgetify.Bench.Reporting;
using Widgetify.Bench.Storm;

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

    /// <summary>A detection result: first alert after <paramref name="alertAfter"/> s (null: none), an incident
    /// mitigated and resolved at the given seconds after onset (no incident when <paramref name="incident"/> is false).</summary>
    public static DetectionResult Detection(
        double? alertAfter = 3.2, bool incident = true, double? mitigatedAfter = 7.4, double? resolvedAfter = 41, bool postmortem = true)
    {
        var onset = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
        return new DetectionResult
        {
            OnsetUtc = onset,
            Polls = 90,
            PollFailures = 4,
            LastPollFailure = "GET /api/incidents: no answer within 2 s",
            ObservedSeconds = 45,
            ResolutionWaitSeconds = 25,
            WaitedAfterLoadSeconds = 12,
            FirstAlert = alertAfter is null ? null : "SheddingActive",
            FirstAlertFiringSince = alertAfter is { } a ? onset.AddSeconds(a) : null,
            SecondsToFirstAlert = alertAfter,
            AlertsFired = alertAfter is null ? [] : ["SheddingActive", "ResponseTimeSpike"],
            FiringAtOnset = alertAfter is null ? ["ConnectionWaits"] : [],
            ActiveAtEnd = resolvedAfter is null ? ["ErrorBudgetBurn (firing)"] : [],
            IncidentsOpened = incident ? 1 : 0,
            Incident = !incident ? null : new IncidentResult
            {
                Id = Guid.Parse("019aa6b1-3c52-7d10-9a2e-5b0f6c1d2e3f"),
                Title = "SheddingActive: 41% of requests shed",
                Status = resolvedAfter is not null ? "resolved" : mitigatedAfter is not null ? "mitigated" : "open",
                ImpactStartedAt = onset,
                DetectedAt = onset.AddSeconds(alertAfter ?? 1),
                MitigatedAt = mitigatedAfter is { } m ? onset.AddSeconds(m) : null,
                ResolvedAt = resolvedAfter is { } r ? onset.AddSeconds(r) : null,
                DetectedAfterOnsetSeconds = alertAfter ?? 1,
                MitigatedAfterOnsetSeconds = mitigatedAfter,
                ResolvedAfterOnsetSeconds = resolvedAfter,
                TimeToDetectSeconds = alertAfter ?? 1,
                TimeToMitigateSeconds = mitigatedAfter,
                TimeToResolveSeconds = resolvedAfter,
                Alerts = ["SheddingActive"],
                Impact = new IncidentImpactResult(52000, 12, 17310, 33.31, 2000, 1802, 90.1, false),
                Postmortem = postmortem ? "/tmp/w/postmortems/20261121-1000-019aa6b1.md" : null,
                PostmortemWritten = postmortem && resolvedAfter is not null,
                PostmortemCopy = postmortem && resolvedAfter is not null ? "postmortems/20261121-1000-019aa6b1.md" : null,
            },
        };
    }

    /// <summary>The configuration with <paramref name="detection"/> and its detection targets evaluated.</summary>
    public static ConfigurationResult With(this ConfigurationResult configuration, DetectionResult detection)
    {
        var measured = configuration with { Detection = detection };
        return measured with { DetectionTargets = StormTargets.EvaluateDetection(measured) };
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
