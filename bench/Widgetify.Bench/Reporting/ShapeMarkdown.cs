using System.Globalization;
using System.Text;
using static Widgetify.Bench.Reporting.MarkdownText;

namespace Widgetify.Bench.Reporting;

/// <summary>The storm shapes' part of storm.md: per shape, one row per configuration, the guard's overhead and
/// issue 15's goals.</summary>
internal static class ShapeMarkdown
{
    private static readonly string[] Groups = ["generator", "service", "postgres", "pgbouncer"];

    public static void Write(StringBuilder md, StormReport report)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(report);
        if (report.Shapes.Count == 0)
        {
            return;
        }

        Text(md);
        Text(md, "## Storm shapes (issue 15)");
        Text(md);
        Line(md, $"CPU: {report.Affinity}. Each shape is its own storm: every configuration measures its own closed-loop peak of the shape (best 2xx goodput of a short ramp), then gets the same open-loop load: the baseline and the storm rate come from the reference configuration's peak (Widgetify's, 5, run first), the storm at {report.Overload:0.#}x it. k = offered / the configuration's own peak. Goodput is judged against min(peak, offered) of the configuration and against the reference peak. Errors other than 503 count baseline, storm and recovery: non-503 statuses, timeouts, connection errors and requests not sent because every client connection was busy (in brackets). Cores: CPU seconds per second in the storm, of the generator (this process) / the service / PostgreSQL / PgBouncer, read from /proc.");
        foreach (var shape in report.Shapes)
        {
            Text(md);
            Line(md, $"### {shape.Shape}: {shape.Description}");
            Text(md);
            Line(md, $"Reference peak {shape.ReferencePeak:0} req/s ({(shape.ReferenceNumber == 0 ? "given with --capacity" : F($"configuration {shape.ReferenceNumber}"))}); baseline {shape.BaselineRate:0} req/s, storm offered {shape.OfferedRate:0} req/s.");
            Text(md);
            Table(
                md,
                ["#", "configuration", "peak req/s", "offered → sent req/s", "k", "goodput req/s", "goodput / min(peak, offered)", "goodput / reference peak", "p99 unloaded ms", "p99 served in storm ms", "ratio", "recovery", "errors other than 503 (not sent)", "peak PG conns / budget", "cores in storm (gen / svc / pg / bouncer)"],
                shape.Runs.Select(r => Row(r, shape.ReferencePeak)));
            Text(md);
            Table(
                md,
                ["#", "cores in baseline (gen / svc / pg / bouncer)", "in storm", "in recovery", "service CPU per request in baseline ms"],
                shape.Runs.Where(r => r.Succeeded).Select(r => new[]
                {
                    N(r.Number), CoresCell(r, "baseline"), CoresCell(r, "storm"), CoresCell(r, "recovery"), Number(r.ServiceCpuMsPerRequest, "0.000"),
                }));
            if (shape.GuardOverhead is { } o)
            {
                Text(md);
                Line(md, $"Guard overhead (5 guarded against 6 unguarded): normal load ({shape.BaselineRate:0} req/s, both) p50 {o.GuardedP50Ms:0.00} vs {o.UnguardedP50Ms:0.00} ms ({Ratio(o.P50Ratio)}), p99 {o.GuardedP99Ms:0.0} vs {o.UnguardedP99Ms:0.0} ms ({Ratio(o.P99Ratio)}), service CPU per request {Number(o.GuardedCpuMsPerRequest, "0.000")} vs {Number(o.UnguardedCpuMsPerRequest, "0.000")} ms ({Ratio(o.CpuRatio)}); saturation (each one's closed-loop peak) {o.GuardedPeak:0} vs {o.UnguardedPeak:0} req/s ({Ratio(o.PeakRatio)}).");
            }

            if (shape.Goals.Count > 0)
            {
                Text(md);
                Table(md, ["goal (Widgetify, 5)", "result", "measured"], shape.Goals.Select(g => new[] { Cell(g.Target), Verdict(g.Met), Cell(g.Detail) }));
            }
        }
    }

    private static string[] Row(ShapeRun r, double referencePeak)
    {
        if (!r.Succeeded)
        {
            return [N(r.Number), Cell(r.Name), r.Peak > 0 ? F($"{r.Peak:0}") : "-", "failed: " + Cell(r.Failure), "", "", "", "", "", "", "", "", "", "", ""];
        }

        var s = r.Storm!;
        return
        [
            N(r.Number), Cell(r.Name), F($"{r.Peak:0}{(r.PeakMeasured ? "" : " (given)")}"), F($"{s.OfferedRate:0} → {s.SentRate:0}"), Number(r.K, "0.0"),
            F($"{s.Goodput:0}"), Number(r.GoodputShare, "0.00"), Number(ShapeFigures.Share(s.Goodput, referencePeak), "0.00"),
            F($"{r.Baseline!.P99Ms:0.0}"), s.Successes > 0 ? F($"{s.P99Ms:0.0}") : "-", s.Successes > 0 ? Number(r.P99Ratio, "0.0") + "x" : "-",
            r.SecondsToRecover is { } rec ? F($"{rec} s") : F($"not within {r.Recovery!.Seconds} s"),
            F($"{r.ErrorsOther} ({r.NotSent})"), F($"{r.PeakPgConnections} / {r.Budget}"), CoresCell(r, "storm"),
        ];
    }

    private static string CoresCell(ShapeRun r, string phase) =>
        r.Cores.TryGetValue(phase, out var c)
            ? string.Join(" / ", Groups.Select(g => c.TryGetValue(g, out var v) ? F($"{v:0.00}") : "-"))
            : "-";

    private static string Ratio(double? value) => value is { } v ? F($"{v:0.000}x") : "n/a";

    private static string Number(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
