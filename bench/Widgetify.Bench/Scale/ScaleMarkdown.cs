using System.Globalization;
using static Widgetify.Bench.Reporting.MarkdownText;

namespace Widgetify.Bench.Scale;

/// <summary>scale.md: how the run was made, every figure against its goal, the phases, who served the reads, the
/// decisions, and what was missed.</summary>
internal static class ScaleMarkdown
{
    public static string Write(ScaleReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = Begin("Read replicas: bench scale", report.CommandLine, report.StartedAt, report.ServiceVersion);
        if (report.Machine is { } m)
        {
            Line(md, $"- Machine: {m.Cores} cores, {m.OperatingSystem}, {m.DotNet}; PostgreSQL {m.PostgresVersion}. The load generator, the service, the primary and the standbys all share these cores (and other builds and tests may run beside them): the figures are timings of the mechanism, noisy from run to run; throughput here says nothing of separate machines.");
        }

        Line(md, $"- Service: `widgetify up {report.UpArguments}` in a fresh temporary data folder, with bench-only settings {string.Join(", ", report.Overrides.Select(o => $"`{o.Key}={o.Value}`"))}; ScaleOutWindow (10 s) and every other setting at its default.");
        Line(md, $"- Load: open loop (sent at the due time, latency from it), reads only: 85% GET /w/{{id}} over {report.ReadWidgets} widgets, 10% GET /api/widgets/{{id}}, 5% GET /api/widgets?limit=20 (demo key); surges at {report.SurgeRate:0} req/s, {report.ModerateRate:0} req/s around the kill, {report.LowRate:0} req/s while waiting for the scale-in; at most {report.Clients} requests outstanding (more due is \"not sent\", an error), 5 s client timeout.");
        Line(md, $"- GET /api/scaling sampled every 250 ms with the operator key: {report.Polls} polls, {report.PollFailures} failed. Seconds below count from the start of the first surge.");
        Text(md);
        Table(md, ["figure", "measured", "goal", "result"], report.Figures.Select(f => new[] { Cell(f.Figure), Cell(f.Measured), Cell(f.Goal), Verdict(f.Met) }));
        Text(md);
        Text(md, "Phases:");
        Text(md);
        Table(md, ["phase", "from s", "to s", "offered req/s", "requests", "2xx", "503 (with Retry-After)", "errors", "p99 ms (2xx)", "what"], report.Phases.Select(PhaseRow));
        if (report.Rates.Count > 0)
        {
            var columns = RateColumns(report);
            Text(md);
            Text(md, "Who served the reads (reads/s from each server's readsServed in /api/scaling; 2xx/s from the generator):");
            Text(md);
            Table(md, ["window", "seconds", .. columns.Select(c => c + " reads/s"), "generator 2xx/s"], report.Rates.Select(w => RateRow(w, columns)));
        }

        if (report.Decisions.Count > 0)
        {
            Text(md);
            Text(md, "Decisions of the run, as GET /api/scaling last showed them:");
            Text(md);
            Table(md, ["at s", "direction", "standbys", "result", "took s", "reason; message"], report.Decisions.Select(d => DecisionRow(d, report)));
        }

        if (report.Misses.Count + report.Notes.Count > 0)
        {
            Text(md);
            foreach (var miss in report.Misses)
            {
                Text(md, "- Missed: " + miss);
            }

            foreach (var note in report.Notes)
            {
                Text(md, "- " + note);
            }
        }

        return md.ToString();
    }

    private static string[] PhaseRow(ScalePhase p)
    {
        var l = p.Load;
        return
        [
            p.Name, F($"{p.From:0.0}"), F($"{p.To:0.0}"), p.Rate is { } r ? F($"{r:0}") : "-",
            l is null ? "-" : F($"{l.Requests:N0}"), l is null ? "-" : F($"{l.Succeeded:N0}"), l is null ? "-" : F($"{l.Shed:N0} ({l.ShedWithRetryAfter:N0})"),
            l is null ? "-" : F($"{l.Errors:N0}"), l is { Succeeded: > 0 } ? F($"{l.P99Ms:0.0}") : "-", Cell(p.What),
        ];
    }

    private static string[] RateRow(RateWindow w, IReadOnlyList<string> columns) =>
    [
        w.Label, F($"{w.Seconds:0.0}"),
        .. columns.Select(c => w.Servers.FirstOrDefault(s => s.Server == c) is { } s ? F($"{s.ReadsPerSecond:0}") : "-"),
        w.Goodput is { } g ? F($"{g:0}") : "-",
    ];

    private static string[] DecisionRow(ScalingDecision d, ScaleReport report) =>
    [
        F($"{report.SecondsFrom(d.At):0.0}"), d.Direction + (d.Replacement ? " (replacement)" : ""), F($"{d.From} → {d.To}"), d.Result,
        d.CompletedAt is { } c ? F($"{(c - d.At).TotalSeconds:0.0}") : "-", Cell(d.Reason + (d.Message is null ? "" : "; " + d.Message)),
    ];

    /// <summary>The servers of the rate table: the primary, then the standbys in the order they first appear.</summary>
    private static IReadOnlyList<string> RateColumns(ScaleReport report) =>
        [.. report.Rates.SelectMany(w => w.Servers).OrderBy(s => s.Role == "primary" ? 0 : 1).Select(s => s.Server).Distinct()];

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
