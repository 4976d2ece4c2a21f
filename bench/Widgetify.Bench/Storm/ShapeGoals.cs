using System.Globalization;
using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Storm;

/// <summary>Issue 15's goals for Widgetify (configuration 5) on one storm shape, computed from the measurements:
/// met (true), missed (false), or not judged (null, with the reason) when what they compare was not measured.</summary>
internal static class ShapeGoals
{
    public const double MinGoodputShare = 0.9;
    public const double MaxP99Factor = 5.0;
    public const int MaxSecondsToRecover = 2;
    public const double MaxGuardOverhead = 0.03;

    public static IReadOnlyList<TargetCheck> Evaluate(ShapeReport shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var widgetify = shape.Runs.FirstOrDefault(r => r.Number == BenchConfiguration.WidgetifyNumber);
        if (widgetify is null)
        {
            return [new TargetCheck("configuration 5 ran", null, "not run: the goals are about Widgetify (5)")];
        }

        if (!widgetify.Succeeded)
        {
            return [new TargetCheck("configuration 5 ran", false, widgetify.Failure ?? "no storm measured")];
        }

        var storm = widgetify.Storm!;
        var baseline = widgetify.Baseline!;
        var k = widgetify.K is { } kk ? F($"k = {kk:0.0}") : "k n/a";
        var checks = new List<TargetCheck>
        {
            new(F($"goodput ≥ {MinGoodputShare:0.0} × min(peak, offered)"),
                widgetify.GoodputShare >= MinGoodputShare,
                F($"{storm.Goodput:0} req/s vs min({widgetify.Peak:0}, {storm.OfferedRate:0}) = {widgetify.Servable:0} req/s: {widgetify.GoodputShare:0.00} ({k})")),
            Ahead(widgetify, shape.Runs),
            new(F($"served p99 ≤ {MaxP99Factor:0} × unloaded p99"),
                storm.Successes > 0 && widgetify.P99Ratio <= MaxP99Factor,
                storm.Successes == 0 ? "nothing served in the storm" : F($"{storm.P99Ms:0.0} ms vs {baseline.P99Ms:0.0} ms: {widgetify.P99Ratio:0.0}x")),
            new(F($"recovered to baseline p99 within {MaxSecondsToRecover} s"),
                widgetify.SecondsToRecover <= MaxSecondsToRecover,
                widgetify.SecondsToRecover is { } s ? F($"{s} s") : F($"not within the {widgetify.Recovery!.Seconds} s recovery phase")),
            new("0 errors other than 503",
                widgetify.ErrorsOther == 0,
                F($"{widgetify.ErrorsOther} ({widgetify.NotSent} of them not sent: every client connection busy)")),
            new("PostgreSQL connections within budget",
                widgetify.PeakPgConnections <= widgetify.Budget,
                F($"peak {widgetify.PeakPgConnections} vs budget {widgetify.Budget}")),
            Overhead(shape.GuardOverhead),
        };
        return checks;
    }

    /// <summary>Ahead of PgBouncer (4) and the ConcurrencyLimiter (3) on storm goodput and on served p99.</summary>
    internal static TargetCheck Ahead(ShapeRun widgetify, IReadOnlyList<ShapeRun> runs)
    {
        const string Target = "ahead of PgBouncer (4) and ConcurrencyLimiter (3) on goodput and served p99";
        var rivals = runs.Where(r => r.Number is BenchConfiguration.PgBouncerNumber or BenchConfiguration.ConcurrencyLimiterNumber && r.Succeeded).ToList();
        if (rivals.Count == 0)
        {
            return new TargetCheck(Target, null, "neither 3 nor 4 measured");
        }

        var storm = widgetify.Storm!;
        var behind = rivals.Where(r => r.Storm!.Goodput >= storm.Goodput || (r.Storm.Successes > 0 && r.Storm.P99Ms <= storm.P99Ms)).ToList();
        var missing = rivals.Count < 2 ? F($"; only {rivals[0].Number} of 3 and 4 measured") : "";
        return new TargetCheck(
            Target,
            behind.Count == 0,
            (behind.Count == 0
                ? F($"ahead of {string.Join(", ", rivals.Select(r => F($"{r.Number} ({r.Storm!.Goodput:0} req/s, p99 {r.Storm.P99Ms:0.0} ms)")))}; ours {storm.Goodput:0} req/s, p99 {storm.P99Ms:0.0} ms")
                : F($"ours {storm.Goodput:0} req/s, p99 {storm.P99Ms:0.0} ms; not ahead of ") + string.Join("; ", behind.Select(r => F($"{r.Number} ({r.Storm!.Goodput:0} req/s, p99 {r.Storm.P99Ms:0.0} ms)"))))
            + missing);
    }

    /// <summary>The guard costs at most 3%: service CPU per request at normal load, and closed-loop peak at saturation.</summary>
    internal static TargetCheck Overhead(GuardOverhead? overhead)
    {
        var target = F($"guard overhead ≤ {MaxGuardOverhead * 100:0}% (normal load and saturation)");
        if (overhead is null)
        {
            return new TargetCheck(target, null, "not judged: configurations 5 and 6 must both run");
        }

        var cpu = overhead.CpuRatio;
        var peak = overhead.PeakRatio;
        if (cpu is null || peak is null)
        {
            return new TargetCheck(target, null, "not judged: CPU per request or a peak was not measured");
        }

        var met = cpu <= 1 + MaxGuardOverhead && peak >= 1 - MaxGuardOverhead;
        return new TargetCheck(target, met,
            F($"normal load: CPU/request {overhead.GuardedCpuMsPerRequest:0.000} vs {overhead.UnguardedCpuMsPerRequest:0.000} ms ({cpu:0.000}x), p50 {overhead.GuardedP50Ms:0.00} vs {overhead.UnguardedP50Ms:0.00} ms, p99 {overhead.GuardedP99Ms:0.0} vs {overhead.UnguardedP99Ms:0.0} ms; saturation: peak {overhead.GuardedPeak:0} vs {overhead.UnguardedPeak:0} req/s ({peak:0.000}x)"));
    }

    /// <summary>Guarded (5) against unguarded (6) from their runs of one shape; null unless both succeeded.</summary>
    public static GuardOverhead? OverheadOf(IReadOnlyList<ShapeRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var guarded = runs.FirstOrDefault(r => r.Number == BenchConfiguration.WidgetifyNumber);
        var unguarded = runs.FirstOrDefault(r => r.Number == BenchConfiguration.UnguardedNumber);
        if (guarded is not { Succeeded: true } || unguarded is not { Succeeded: true })
        {
            return null;
        }

        return new GuardOverhead(
            guarded.Baseline!.P50Ms, unguarded.Baseline!.P50Ms, guarded.Baseline.P99Ms, unguarded.Baseline.P99Ms,
            guarded.ServiceCpuMsPerRequest, unguarded.ServiceCpuMsPerRequest, guarded.Peak, unguarded.Peak);
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
