using System.Globalization;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Law;

/// <summary>The control law: target tracking on the read path's saturation, as a pure function of the recent seconds,
/// the replica count, the settings, the last action and the time. Nothing here reads a clock, the database or a
/// provider, so every rule is tested on recorded seconds. docs/scaling.md states the same rules for operators.
/// <para>Saturation of a second is the largest of its signals divided by that signal's target, so 1 means "at target"
/// on whichever resource is closest to running out. The rules, in the order they are applied:</para>
/// <list type="number">
/// <item>No decision without signals of the last <see cref="MaxSignalAge"/>, nor on a second measured before the last
/// action ended: every decision is about the current fleet.</item>
/// <item>Fewer live standbys than the minimum: replace them at once. The cooldown exists to let a noisy estimate settle;
/// a dead server is a fact, and waiting only lengthens the time the fleet runs below what the operator said it needs.
/// Only after a failed action does a replacement wait for the cooldown, so a broken provider is not run every second.</item>
/// <item>Within the cooldown of the last action: nothing.</item>
/// <item>More standbys than the maximum (it was lowered): remove one.</item>
/// <item>Saturation above 1 in at least <see cref="ScaleOutQuorum"/> of the scale-out window's seconds: add one
/// standby, unless at the maximum. One dip in ten seconds does not restart the wait; a second without data counts as not
/// saturated.</item>
/// <item>Every measured second of the scale-in window below the threshold, at least <see cref="ScaleInCoverage"/> of
/// its seconds measured (missing seconds are not low load), and the window's peak projected onto one standby fewer
/// (× n / (n − 1)) still below 1: remove one standby, unless at the minimum.</item>
/// </list>
/// <para>One standby per step, never proportionally: pool utilisation stops at 1 and the shed ratio is not linear in
/// capacity, so the signals cannot say how much is missing, only that something is; each new standby also costs the
/// saturated primary a base backup. The cooldown bounds how fast steps follow each other.</para></summary>
internal static class ScalingLaw
{
    /// <summary>Share of the scale-out window's seconds that must be saturated (9 of 10 with the default window).</summary>
    internal const double ScaleOutQuorum = 0.9;

    /// <summary>Share of the scale-in window's seconds that must have been measured (270 of 300 by default).</summary>
    internal const double ScaleInCoverage = 0.9;

    /// <summary>Signals older than this are stale: the source stopped, and the law does nothing rather than guess.</summary>
    internal static readonly TimeSpan MaxSignalAge = TimeSpan.FromSeconds(3);

    /// <summary>Decides what to do now.</summary>
    /// <param name="history">Recent seconds, oldest first, at most one per second.</param>
    /// <param name="currentReplicas">Live standbys now.</param>
    /// <param name="options">The bounds, windows, cooldown, threshold and targets (validated).</param>
    /// <param name="lastAction">The previous action; null when there was none.</param>
    /// <param name="now">The time of the decision.</param>
    public static ScalingDecision Decide(
        IReadOnlyList<ReadPathSignals> history, int currentReplicas, ScalingOptions options, LastAction? lastAction, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        var n = currentReplicas;
        var latest = history.Count > 0 ? history[^1] : null;
        if (latest is null || now - latest.At > MaxSignalAge)
        {
            return ScalingDecision.None(n, Invariant($"no read-path signals in the last {MaxSignalAge.TotalSeconds:0} s"));
        }

        if (lastAction is { } previous && latest.At <= previous.At)
        {
            return ScalingDecision.None(n, "waiting for a second measured after the last action");
        }

        if (n < options.MinReplicas)
        {
            if (lastAction is { Succeeded: false } failed && now - failed.At < options.Cooldown)
            {
                return ScalingDecision.None(n, Invariant(
                    $"{n} live standby(s), below MinReplicas ({options.MinReplicas}), but the last action failed {Seconds(now - failed.At)} ago: retrying after Cooldown ({options.Cooldown})"));
            }

            return new ScalingDecision(ScalingDirection.Replace, n, options.MinReplicas, Invariant(
                $"{options.MinReplicas - n} standby(s) died: {n} live, MinReplicas is {options.MinReplicas}; replacing at once (no cooldown)"));
        }

        if (lastAction is { } last && now - last.At < options.Cooldown)
        {
            return ScalingDecision.None(n, Invariant($"cooldown: the last action ended {Seconds(now - last.At)} ago, Cooldown is {options.Cooldown}"));
        }

        if (n > options.MaxReplicas)
        {
            return new ScalingDecision(ScalingDirection.In, n, n - 1, Invariant(
                $"{n} standbys, above MaxReplicas ({options.MaxReplicas}): removing one"));
        }

        // Seconds measured before the last action describe another fleet.
        var current = lastAction is { } cut ? history.Where(s => s.At > cut.At).ToList() : history;

        var outWindow = Window(current, now, options.ScaleOutWindow);
        var outSeconds = WholeSeconds(options.ScaleOutWindow);
        var saturatedSeconds = outWindow.Count(s => SaturationOf(s, options).Score > 1);
        if (saturatedSeconds >= (int)Math.Ceiling(ScaleOutQuorum * outSeconds))
        {
            var driving = SaturationOf(latest, options);
            var sustained = Invariant($"saturation above 1 in {saturatedSeconds} of the last {outSeconds} s (ScaleOutWindow {options.ScaleOutWindow}), now {driving.Score:0.00} from {driving.Describe()}");
            return n >= options.MaxReplicas
                ? ScalingDecision.None(n, Invariant($"{sustained}; at MaxReplicas ({options.MaxReplicas}), so no standby is added"))
                : new ScalingDecision(ScalingDirection.Out, n, n + 1, sustained);
        }

        if (n > options.MinReplicas)
        {
            var inWindow = Window(current, now, options.ScaleInWindow);
            var inSeconds = WholeSeconds(options.ScaleInWindow);
            var peak = inWindow.Select(s => SaturationOf(s, options)).DefaultIfEmpty().MaxBy(s => s.Score);
            if (inWindow.Count >= (int)Math.Ceiling(ScaleInCoverage * inSeconds) && peak.Score < options.ScaleInThreshold)
            {
                // With n standbys serving reads, their load spread over n - 1 weighs n / (n - 1) as much; the last one's
                // reads go back to the primary, which is one server as well.
                var projected = peak.Score * n / Math.Max(n - 1, 1);
                var quiet = Invariant($"saturation below {options.ScaleInThreshold:0.00} (ScaleInThreshold) in all {inWindow.Count} measured of the last {inSeconds} s (ScaleInWindow {options.ScaleInWindow}), peak {peak.Score:0.00} from {peak.Describe()}");
                return projected < 1
                    ? new ScalingDecision(ScalingDirection.In, n, n - 1, Invariant($"{quiet}; on {n - 1} standby(s) the peak would be {projected:0.00}"))
                    : ScalingDecision.None(n, Invariant($"{quiet}, but on {n - 1} standby(s) the peak would be {projected:0.00}, not below 1"));
            }
        }

        var latestSaturation = SaturationOf(latest, options);
        return ScalingDecision.None(n, Invariant($"saturation {latestSaturation.Score:0.00} from {latestSaturation.Describe()}: within the band"));
    }

    /// <summary>The saturation of one second: its largest signal-to-target ratio, and which signal that was.</summary>
    public static Saturation SaturationOf(ReadPathSignals signals, ScalingOptions options)
    {
        var highest = new Saturation("read pool utilisation", signals.ReadPoolUtilization, options.ReadPoolUtilizationTarget, IsSeconds: false);
        highest = Higher(highest, new("read acquires that waited", signals.ReadAcquireWaitedRatio, options.ReadAcquireWaitedTarget, IsSeconds: false));
        highest = Higher(highest, new("read shed ratio", signals.ReadShedRatio, options.ReadShedRatioTarget, IsSeconds: false));
        if (signals.ReadP99Seconds is { } p99)
        {
            highest = Higher(highest, new("read p99", p99, options.ReadP99Target.TotalSeconds, IsSeconds: true));
        }

        if (signals.CpuUtilization is { } cpu)
        {
            highest = Higher(highest, new("CPU", cpu, options.CpuTarget, IsSeconds: false));
        }

        return highest;
    }

    private static Saturation Higher(Saturation a, Saturation b) => b.Score > a.Score ? b : a;

    /// <summary>The seconds in (now − window, now].</summary>
    private static List<ReadPathSignals> Window(IEnumerable<ReadPathSignals> seconds, DateTimeOffset now, TimeSpan window) =>
        [.. seconds.Where(s => s.At <= now && now - s.At < window)];

    private static int WholeSeconds(TimeSpan window) => Math.Max(1, (int)Math.Round(window.TotalSeconds));

    private static string Seconds(TimeSpan elapsed) => Invariant($"{elapsed.TotalSeconds:0} s");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One second's saturation: the signal closest to its target, and how close.</summary>
/// <param name="Signal">Its name, as reasons and logs say it.</param>
/// <param name="Value">Its value.</param>
/// <param name="Target">Its target.</param>
/// <param name="IsSeconds">Whether value and target are durations in seconds (for the wording).</param>
internal readonly record struct Saturation(string Signal, double Value, double Target, bool IsSeconds)
{
    /// <summary>Value over target: 1 is at target.</summary>
    public double Score => Target > 0 ? Value / Target : 0;

    /// <summary>"read pool utilisation 0.93 (target 0.80)".</summary>
    public string Describe() => Signal is null
        ? "no signal"
        : IsSeconds
            ? string.Create(CultureInfo.InvariantCulture, $"{Signal} {Value:0.000} s (target {Target:0.000} s)")
            : string.Create(CultureInfo.InvariantCulture, $"{Signal} {Value:0.00} (target {Target:0.00})");
}
