using System.Globalization;

namespace Widgetify.Bench.Scale;

/// <summary>The goals of issue 11's "Measured" section, and the ones the mechanism implies, judged on a run. A figure
/// that was not measured is a miss that says why, never a silent gap.</summary>
internal static class ScaleFigures
{
    /// <summary>Saturation to decision, and to the first read on the new standby: under half a minute (Aurora: minutes).</summary>
    public const double MaxScaleOutSeconds = 30;

    /// <summary>A dead standby is out of rotation within 3 s (issue 11, Routing).</summary>
    public const double MaxSecondsToDown = 3;

    /// <summary>"Thousands" of write-then-read pairs.</summary>
    public const int MinPairs = 1000;

    /// <summary>The local provider's DrainTimeout (src/Widgetify.Cli/LocalReplicaProvider.cs): reads still running after it are abandoned.</summary>
    public const double DrainTimeoutSeconds = 30;

    /// <summary>Slack on the scale-in window: the law needs 90% of its seconds measured after the last action, and the
    /// samples and the action add their own second or two.</summary>
    public const double ScaleInSlackSeconds = 10;

    private const string ScaleOutGoal = "< 30 s (Aurora: minutes)";

    public static IReadOnlyList<ScaleFigure> Evaluate(ScaleReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var figures = new List<ScaleFigure>
        {
            report.ServiceExitCode is { } code
                ? new("the service ran through every phase", F($"no: it exited by itself with code {code} (its last lines are in service.log)"), "yes", false)
                : new("the service ran through every phase", "yes", "yes", true),
        };
        foreach (var surge in report.ScaleOuts)
        {
            figures.AddRange(ScaleOut(surge, report));
        }

        figures.AddRange(Kill(report));
        figures.AddRange(Consistency(report));
        figures.AddRange(ScaleIn(report));
        return figures;
    }

    private static IEnumerable<ScaleFigure> ScaleOut(ScaleOutResult surge, ScaleReport report)
    {
        var decision = surge.Decision;
        yield return surge.SecondsToDecision is { } toDecision
            ? new($"{surge.Phase}: first saturated second → scale-out decision", F($"{toDecision:0.0} s ({decision!.From} → {decision.To}: {decision.Reason})"), ScaleOutGoal, toDecision < MaxScaleOutSeconds)
            : new($"{surge.Phase}: first saturated second → scale-out decision", "not measured: " + surge.Missing, ScaleOutGoal, false);
        yield return surge.SecondsToFirstRead is { } toRead
            ? new($"{surge.Phase}: first saturated second → first read served by the new standby", F($"{toRead:0.0} s ({surge.NewStandby}; decision → standby streaming and in the router {surge.SecondsDecisionToCompleted:0.0} s)"), ScaleOutGoal, toRead < MaxScaleOutSeconds)
            : new($"{surge.Phase}: first saturated second → first read served by the new standby", "not measured: " + surge.Missing, ScaleOutGoal, false);
        if (report.Phases.FirstOrDefault(p => p.Name == surge.Phase)?.Load is { } load)
        {
            yield return new($"{surge.Phase}: errors other than a shed 503 (scale-out under way)", load.Describe(), "0", load.Errors == 0);
        }
    }

    private static IEnumerable<ScaleFigure> Kill(ScaleReport report)
    {
        const string Unexpected = "kill -9 of the standby under load: responses other than 200 or a shed 503 with Retry-After";
        const string Down = "kill -9: until /api/scaling shows the standby down";
        if (report.Kill is not { } kill)
        {
            var why = "not measured: " + (report.Misses.FirstOrDefault(m => m.StartsWith("kill", StringComparison.Ordinal)) ?? "the phase did not run");
            yield return new(Unexpected, why, "0", false);
            yield return new(Down, why, F($"≤ {MaxSecondsToDown:0} s"), false);
            yield break;
        }

        if (report.Phases.FirstOrDefault(p => p.Name == "kill")?.Load is { } load)
        {
            yield return new(Unexpected, load.Describe() + (report.KillWindow is { } w ? F($"; from the kill to the end: {w.Unexpected} of {w.Requests:N0}") : ""), "0", load.Unexpected == 0);
        }

        yield return kill.SecondsToDown is { } down
            ? new(Down, F($"{down:0.00} s ({kill.Standby}, port {kill.Port})"), F($"≤ {MaxSecondsToDown:0} s"), down <= MaxSecondsToDown)
            : new(Down, "never within the phase", F($"≤ {MaxSecondsToDown:0} s"), false);
        yield return kill.Replacement is { } replacement
            ? new("kill -9: replacement", F($"replaced: {replacement.From} → {replacement.To}, {replacement.Result} ({replacement.Message})"), "none: the minimum is 0 standbys", false)
            : new("kill -9: replacement", "none, as the minimum is 0 standbys (--replicas 0); the next surge scaled out again, the dead standby removed first", "none: the minimum is 0 standbys", true);
    }

    private static IEnumerable<ScaleFigure> Consistency(ScaleReport report)
    {
        const string Missed = "stale reads: write-then-read pairs with the token that missed their own write";
        const string Staleness = "stale reads: largest staleness of a read without the token";
        // The router judges lag from the primary's positions sampled every PollInterval (so it may read one interval low)
        // and checks each standby every PollInterval: a frozen standby leaves rotation at most MaxLag + 2 intervals after.
        var bound = report.MaxLagSeconds + (2 * report.PollIntervalSeconds);
        var staleGoal = F($"≤ MaxLag + 2 × PollInterval = {bound:0.0} s");
        var sampled = bound + report.SampleIntervalSeconds;
        var leftGoal = F($"≤ MaxLag + 2 × PollInterval + the bench's sampling = {sampled:0.00} s");
        if (report.Consistency is not { } c)
        {
            var why = "not measured: " + (report.Misses.FirstOrDefault(m => m.StartsWith("stale", StringComparison.Ordinal)) ?? "the phase did not run");
            yield return new(Missed, why, "0 of thousands", false);
            yield return new(Staleness, why, staleGoal, false);
            yield break;
        }

        yield return new(
            Missed,
            F($"{c.Missed} of {c.Pairs:N0} ({c.PairsWhilePaused:N0} read while {c.Standby}'s replay was paused, {c.PairsWhilePausedInRotation:N0} of them while it was still in rotation; {c.MissedWhilePaused} missed then)"),
            F($"0 of thousands (≥ {MinPairs:N0})"),
            c.Missed == 0 && c.Pairs >= MinPairs);
        yield return new(
            "stale reads: pairs whose read failed or was shed (not misses)",
            F($"{c.Failed} failed, {c.Shed} shed; {c.WriteFailures} writes failed"),
            "0",
            c.Failed + c.Shed + c.WriteFailures == 0);
        yield return new(
            Staleness,
            F($"{c.MaxStalenessSeconds:0.00} s ({c.StaleReads:N0} stale of {c.TokenlessReads:N0} tokenless reads)"),
            staleGoal,
            c.StaleReads > 0 ? c.MaxStalenessSeconds <= bound : null);
        var left = c.Pauses.Select(p => p.SecondsToLeaveRotation).ToList();
        yield return new(
            "stale reads: paused standby out of rotation after",
            left.All(s => s is not null)
                ? F($"{left.Max():0.00} s at most over {c.Pauses.Count} pauses of replay (mean {left.Average():0.00} s)")
                : F($"{left.Count(s => s is null)} of {c.Pauses.Count} pauses ended with the standby still in rotation"),
            leftGoal,
            c.Pauses.Count > 0 && left.All(s => s <= sampled));
    }

    private static IEnumerable<ScaleFigure> ScaleIn(ScaleReport report)
    {
        var window = report.ScaleInWindowSeconds;
        var decidedGoal = F($"≤ ScaleInWindow + {ScaleInSlackSeconds:0} s = {window + ScaleInSlackSeconds:0} s after the load dropped");
        if (report.ScaleIn is not { Decision: { } decision } scaleIn)
        {
            var why = "not measured: " + (report.Misses.FirstOrDefault(m => m.StartsWith("scale-in", StringComparison.Ordinal)) ?? "no scale-in decision");
            yield return new("scale-in: decided", why, decidedGoal, false);
            yield return new("scale-in: errors other than a shed 503 during the drain", why, "0", false);
            yield break;
        }

        yield return new(
            "scale-in: decided",
            F($"{scaleIn.SecondsToDecision:0.0} s after the load dropped, {scaleIn.SecondsAfterLastAction:0.0} s after the last action ended ({decision.From} → {decision.To}: {decision.Reason})"),
            decidedGoal,
            scaleIn.SecondsToDecision <= window + ScaleInSlackSeconds);
        yield return scaleIn.DrainSeconds is { } drain
            ? new("scale-in: drain and removal", F($"{drain:0.0} s, {decision.Result} ({decision.Message})"), F($"≤ the local provider's DrainTimeout, {DrainTimeoutSeconds:0} s"), decision.Result == "succeeded" && drain <= DrainTimeoutSeconds)
            : new("scale-in: drain and removal", "not finished within the phase", F($"≤ the local provider's DrainTimeout, {DrainTimeoutSeconds:0} s"), false);
        if (report.DrainWindow is { } drainLoad)
        {
            yield return new("scale-in: errors other than a shed 503 during the drain", drainLoad.Describe(), "0", drainLoad.Errors == 0);
        }

        if (report.Phases.FirstOrDefault(p => p.Name == "scale-in")?.Load is { } load)
        {
            yield return new("scale-in: errors other than a shed 503 over the phase", load.Describe(), "0", load.Errors == 0);
        }
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
