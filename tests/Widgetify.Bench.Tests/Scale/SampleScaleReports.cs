using Widgetify.Bench.Scale;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

/// <summary>A whole run's report, every phase measured and every goal met, for the figures and the writers.</summary>
internal static class SampleScaleReports
{
    public static LoadSummary Clean(long requests, long shed = 0) => new(requests, requests - shed, shed, shed, 0, 0, 0, 0, 12.5);

    public static ScaleReport AllMet()
    {
        var surgeDecision = new ScalingDecision(At(10), "out", 0, 1, "saturation above 1 in 9 of the last 10 s", "succeeded", "added standby-1", At(14), false);
        var inDecision = new ScalingDecision(At(120), "in", 1, 0, "saturation below 0.50 | quiet", "succeeded", "drained and removed standby-1", At(121.5), false);
        var report = new ScaleReport
        {
            CommandLine = "./widgetify bench scale",
            StartedAt = At(-30),
            Origin = At(0),
            ServiceVersion = "abc1234 (built 2026-12-06 03:00 UTC)",
            UpArguments = "--replicas 0 --max-replicas 2 --demo-widgets 200",
            Overrides = ScaleSettings.Overrides(quick: false),
            SurgeRate = 2000,
            ModerateRate = 300,
            LowRate = 50,
            Clients = 2000,
            ReadWidgets = 8,
            MaxLagSeconds = 2,
            PollIntervalSeconds = 0.5,
            ScaleInWindowSeconds = 45,
            SampleIntervalSeconds = 0.25,
            Phases =
            [
                new ScalePhase("surge 1", 0, 24, 2000, Clean(48_000, shed: 30_000), "surge"),
                new ScalePhase("stale reads", 25, 45, null, null, "pauses"),
                new ScalePhase("kill", 46, 55, 300, Clean(2_700, shed: 12), "kill"),
                new ScalePhase("scale-in", 80, 125, 50, Clean(2_250), "quiet"),
            ],
            ScaleOuts =
            [
                new ScaleOutResult { Phase = "surge 1", PhaseStart = At(0), FirstSaturatedAt = At(1), Decision = surgeDecision, NewStandby = "standby-1 (port 2000)", FirstReadAt = At(15) },
            ],
            Kill = new KillResult { Standby = "standby-1", Port = 2000, KilledAt = At(50), DownAt = At(50.6) },
            KillWindow = Clean(1_500),
            Consistency = new ConsistencyResult
            {
                Standby = "standby-1",
                Pairs = 3_200,
                Seen = 3_200,
                Missed = 0,
                Shed = 0,
                Failed = 0,
                PairsWhilePaused = 2_400,
                PairsWhilePausedInRotation = 1_100,
                MissedWhilePaused = 0,
                WriteFailures = 0,
                TokenlessReads = 1_600,
                StaleReads = 900,
                TokenlessFailures = 0,
                MaxStalenessSeconds = 2.58,
                Pauses = [new ReplayPause(At(26), At(30), At(28.6)), new ReplayPause(At(32), At(36), At(34.7))],
            },
            ScaleIn = new ScaleInResult { PhaseStart = At(80), LastActionEndedAt = At(14), Decision = inDecision },
            DrainWindow = Clean(75),
            Rates =
            [
                new RateWindow("surge 1: primary alone", At(1), At(10), [new ServerRate("primary", "primary", 1150)], 1179),
                new RateWindow("surge 1: after", At(16), At(20), [new ServerRate("primary", "primary", 0), new ServerRate("standby-1", "standby", 1552)], 1659),
            ],
            Decisions = [surgeDecision, inDecision],
            Series = [.. Enumerable.Range(0, 126).Select(s => new ScaleSecond(s, s is > 14 and < 121 ? 1 : 0, s is > 13 and < 121 ? 1 : 0, s < 24 ? 60 : 0.1, 0.1, 0, 100, 100, 10))],
            Polls = 500,
        };
        return report with { Figures = ScaleFigures.Evaluate(report) };
    }
}
