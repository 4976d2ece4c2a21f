using Widgetify.Core.Charts;

namespace Widgetify.Incidents.Postmortems;

/// <summary>The postmortem's chart: three stacked panels over the incident (latency p50/p99 with the SLO line; pool
/// used against share, and pending opens; shed, 5xx and clients that gave up (499, not failures) per second) with the
/// impact start, detection, mitigation and resolution marked, and time relative to the impact start. What to show is decided here; drawing it is
/// <see cref="SvgTimeChart"/>'s.</summary>
internal static class PostmortemChart
{
    // More points than pixels add nothing; long incidents are reduced to the worst second of each slot.
    private const int MaxPoints = 600;

    private const int MaxTicks = 10;

    // Tick steps a reader counts in (seconds, then minutes, then hours); the first that needs at most MaxTicks is used.
    private static readonly int[] TickSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

    public static string Render(IncidentSeries series)
    {
        var incident = series.Report.Incident;
        var seconds = Reduce(series.All);
        var from = seconds.Count > 0 ? seconds[0].At : series.Start;
        var to = seconds.Count > 0 ? seconds[^1].At : series.End;
        if (incident.ResolvedAt is { } resolved && resolved > to)
        {
            to = resolved;
        }

        double X(DateTimeOffset at) => (at - series.Start).TotalSeconds;
        TimeSeries Line(string label, string color, Func<IncidentSample, double?> value) =>
            new(label, color, [.. seconds.Select(s => new TimePoint(X(s.At), value(s)))]);

        var markers = new List<AxisMark>
        {
            new(X(incident.ImpactStartedAt), "impact") { Color = "#d62728" },
            new(X(incident.DetectedAt), "detected") { Color = "#ff7f0e" },
        };
        if (incident.MitigatedAt is { } mitigated)
        {
            markers.Add(new(X(mitigated), "mitigated") { Color = "#1f77b4" });
        }

        if (incident.ResolvedAt is { } end)
        {
            markers.Add(new(X(end), "resolved") { Color = "#2ca02c" });
        }

        return SvgTimeChart.Write(new TimeChart
        {
            Title = Truncate(incident.Title, 110),
            Panels =
            [
                new TimePanel
                {
                    Title = "Latency (s)",
                    Series = [Line("p50", "#1f77b4", s => s.P50), Line("p99", "#d62728", s => s.P99), Line("served p99", "#ff7f0e", s => s.ServedP99)],
                    Thresholds = [new AxisMark(series.Report.SloLatencyP99Seconds, "SLO p99") { Color = "#000000" }],
                },
                new TimePanel
                {
                    Title = "Connections",
                    Series = [Line("pool used", "#2ca02c", s => s.PoolUsed), Line("share", "#7f7f7f", s => s.Share), Line("pending", "#9467bd", s => s.Pending)],
                },
                new TimePanel
                {
                    Title = "Requests/s",
                    Series =
                    [
                        Line("shed", "#ff7f0e", s => s.Shed), Line("5xx", "#d62728", s => s.ServerErrors),
                        Line("clients gave up", "#8c564b", s => s.ClientClosed),
                    ],
                },
            ],
            Markers = markers,
            XTicks = Ticks(series.Start, X(from), X(to)),
            Caption = $"{PostmortemFormat.Utc(from)} to {PostmortemFormat.Utc(to)}; times relative to the impact start: " +
                $"{PostmortemFormat.Relative(series.Start, from)} to {PostmortemFormat.Relative(series.Start, to)}",
        });
    }

    /// <summary>Ticks at whole multiples of a step from the impact start (so the start is one when in view), labelled
    /// as the draft's timeline writes times: "-01:00", "+00:00", "+02:30".</summary>
    private static List<AxisMark> Ticks(DateTimeOffset start, double from, double to)
    {
        var step = TickSteps.FirstOrDefault(s => (to - from) / s <= MaxTicks, TickSteps[^1]);
        var ticks = new List<AxisMark>();
        for (var tick = Math.Ceiling(from / step) * step; tick <= to; tick += step)
        {
            ticks.Add(new AxisMark(tick, PostmortemFormat.Relative(start, start.AddSeconds(tick))));
        }

        return ticks;
    }

    private static List<IncidentSample> Reduce(IReadOnlyList<IncidentSample> seconds)
    {
        if (seconds.Count <= MaxPoints)
        {
            return [.. seconds];
        }

        var size = (int)Math.Ceiling((double)seconds.Count / MaxPoints);
        return seconds.Chunk(size).Select(chunk => chunk.MaxBy(s => (s.P99 ?? 0) + s.Bad + s.Pending)!).ToList();
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
