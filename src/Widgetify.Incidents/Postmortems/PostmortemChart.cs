using System.Globalization;
using System.Security;
using System.Text;

namespace Widgetify.Incidents.Postmortems;

/// <summary>The postmortem's chart: three stacked panels over the incident (latency p50/p99 with the SLO line; pool
/// used against share, and pending opens; shed, 5xx and clients that gave up (499, not failures) per second) with the
/// impact start, detection, mitigation and resolution marked. Plain SVG with no script or external reference,
/// deterministic for a given report.</summary>
internal static class PostmortemChart
{
    private const double Width = 960;
    private const double Left = 70;
    private const double Right = 20;
    private const double PanelHeight = 170;
    private const double PanelGap = 50;
    private const double Top = 40;

    // More points than pixels add nothing; long incidents are reduced to the worst second of each slot.
    private const int MaxPoints = 600;

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

        if (to <= from)
        {
            to = from.AddSeconds(1);
        }

        var height = Top + (3 * PanelHeight) + (2 * PanelGap) + 40;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="11">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<title>{Escape(incident.Title)}</title>""").Append('\n');
        svg.Append("""<rect width="100%" height="100%" fill="white"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="20" font-size="14" font-weight="bold">{Escape(Truncate(incident.Title, 110))}</text>""").Append('\n');

        double X(DateTimeOffset at) => Left + ((Width - Left - Right) * (at - from).TotalSeconds / (to - from).TotalSeconds);

        var slo = series.Report.SloLatencyP99Seconds;
        var latencyMax = Math.Max(slo * 1.2, seconds.Select(s => Math.Max(s.P99 ?? 0, s.ServedP99 ?? 0)).DefaultIfEmpty(0).Max());
        Panel(svg, 0, "Latency (s)", latencyMax, X, seconds,
            [("p50", "#1f77b4", s => s.P50), ("p99", "#d62728", s => s.P99), ("served p99", "#ff7f0e", s => s.ServedP99)], slo, "SLO p99");
        var poolMax = Math.Max(1, seconds.Select(s => (double)Math.Max(Math.Max(s.PoolUsed, s.Share), s.Pending)).DefaultIfEmpty(0).Max());
        Panel(svg, 1, "Connections", poolMax, X, seconds,
            [("pool used", "#2ca02c", s => s.PoolUsed), ("share", "#7f7f7f", s => s.Share), ("pending", "#9467bd", s => s.Pending)], null, null);
        var errorMax = Math.Max(1, seconds.Select(s => (double)Math.Max(Math.Max(s.Shed, s.ServerErrors), s.ClientClosed)).DefaultIfEmpty(0).Max());
        Panel(svg, 2, "Requests/s", errorMax, X, seconds,
            [("shed", "#ff7f0e", s => s.Shed), ("5xx", "#d62728", s => s.ServerErrors), ("clients gave up", "#8c564b", s => s.ClientClosed)], null, null);

        var bottom = Top + (3 * PanelHeight) + (2 * PanelGap);
        Marker(svg, X(incident.ImpactStartedAt), bottom, "impact", "#d62728");
        Marker(svg, X(incident.DetectedAt), bottom, "detected", "#ff7f0e");
        if (incident.MitigatedAt is { } mitigated)
        {
            Marker(svg, X(mitigated), bottom, "mitigated", "#1f77b4");
        }

        if (incident.ResolvedAt is { } end)
        {
            Marker(svg, X(end), bottom, "resolved", "#2ca02c");
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="{PostmortemFormat.N(bottom + 30)}">{Escape(PostmortemFormat.Utc(from))} to {Escape(PostmortemFormat.Utc(to))}; times relative to the impact start: {Escape(PostmortemFormat.Relative(series.Start, from))} to {Escape(PostmortemFormat.Relative(series.Start, to))}</text>""").Append('\n');
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(
        StringBuilder svg, int index, string label, double max, Func<DateTimeOffset, double> x, IReadOnlyList<IncidentSample> seconds,
        (string Name, string Color, Func<IncidentSample, double?> Value)[] lines, double? threshold, string? thresholdLabel)
    {
        var top = Top + (index * (PanelHeight + PanelGap));
        double Y(double value) => top + PanelHeight - (PanelHeight * Math.Clamp(value / max, 0, 1));

        svg.Append(CultureInfo.InvariantCulture, $"""<g class="panel" id="panel-{index}">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Left}" y="{top}" width="{Width - Left - Right}" height="{PanelHeight}" fill="none" stroke="#cccccc"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 8}" y="{top + 10}" text-anchor="end">{PostmortemFormat.N(max)}</text>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 8}" y="{top + PanelHeight}" text-anchor="end">0</text>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="{top - 6}" font-weight="bold">{Escape(label)}</text>""").Append('\n');
        var legendX = Left + 120;
        foreach (var (name, color, value) in lines)
        {
            var points = string.Join(' ', seconds.Where(s => value(s) is not null).Select(s => $"{PostmortemFormat.N(x(s.At))},{PostmortemFormat.N(Y(value(s)!.Value))}"));
            if (points.Length > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>""").Append('\n');
            }

            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{PostmortemFormat.N(legendX)}" y="{top - 6}" fill="{color}">{Escape(name)}</text>""").Append('\n');
            legendX += 90;
        }

        if (threshold is { } t)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Left}" x2="{Width - Right}" y1="{PostmortemFormat.N(Y(t))}" y2="{PostmortemFormat.N(Y(t))}" stroke="#000000" stroke-dasharray="6 4"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width - Right - 4}" y="{PostmortemFormat.N(Y(t) - 4)}" text-anchor="end">{Escape(thresholdLabel ?? "")} {PostmortemFormat.N(t)}</text>""").Append('\n');
        }

        svg.Append("</g>\n");
    }

    private static void Marker(StringBuilder svg, double x, double bottom, string label, string color)
    {
        svg.Append(CultureInfo.InvariantCulture, $"""<line class="marker" x1="{PostmortemFormat.N(x)}" x2="{PostmortemFormat.N(x)}" y1="{Top}" y2="{PostmortemFormat.N(bottom)}" stroke="{color}" stroke-width="1.5" stroke-dasharray="3 3"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{PostmortemFormat.N(x + 3)}" y="{PostmortemFormat.N(bottom + 14)}" fill="{color}">{label}</text>""").Append('\n');
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

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
