using System.Globalization;
using System.Text;
using System.Xml;

namespace Widgetify.Core.Charts;

/// <summary>The one SVG writer for Widgetify's charts over time (the postmortem's, the storm benchmark's): a standalone
/// document with no script and no external reference, so it opens from a postmortem folder or a benchmark's artifacts as
/// it is; every text escaped; the same chart always gives the same bytes, whatever the current culture.</summary>
public static class SvgTimeChart
{
    private const string Grid = "#eeeeee";
    private const string Frame = "#cccccc";
    private const string Grey = "#555555";

    /// <summary>Writes <paramref name="chart"/> as an SVG document.</summary>
    /// <exception cref="ArgumentException">The chart is too narrow for its plot beside its legend.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A panel is less than 20 px high.</exception>
    public static string Write(TimeChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var layout = new TimeChartLayout(chart);
        var svg = new StringBuilder();
        Line(svg, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{chart.Width:0.##}" height="{layout.Height:0.##}" viewBox="0 0 {chart.Width:0.##} {layout.Height:0.##}" font-family="sans-serif" font-size="11">""");
        Line(svg, $"""<title>{Escape(chart.Title)}</title>""");
        Line(svg, $"""<rect width="100%" height="100%" fill="white"/>""");
        Line(svg, $"""<text x="{TimeChartLayout.PlotLeft:0.##}" y="{TimeChartLayout.TitleBaseline:0.##}" font-size="15" font-weight="bold">{Escape(chart.Title)}</text>""");
        for (var i = 0; i < chart.Panels.Count; i++)
        {
            Panel(svg, chart, layout, i);
        }

        foreach (var marker in chart.Markers.Where(m => double.IsFinite(m.At)))
        {
            var x = layout.X(marker.At);
            Line(svg, $"""<line class="marker" x1="{x:0.##}" x2="{x:0.##}" y1="{TimeChartLayout.FirstPanelTop:0.##}" y2="{layout.PlotBottom:0.##}" stroke="{Escape(marker.Color)}" stroke-width="1.5" stroke-dasharray="3 3"/>""");
            // A label right of a marker near the right edge would run off the document: there it ends at the marker.
            var (labelX, anchor) = x > (TimeChartLayout.PlotLeft + layout.PlotRight) / 2 ? (x - 3, "end") : (x + 3, "start");
            Line(svg, $"""<text x="{labelX:0.##}" y="{layout.MarkerLabelBaseline:0.##}" text-anchor="{anchor}" fill="{Escape(marker.Color)}">{Escape(marker.Label)}</text>""");
        }

        if (chart.Caption is { } caption)
        {
            Line(svg, $"""<text x="{TimeChartLayout.PlotLeft:0.##}" y="{layout.CaptionBaseline:0.##}">{Escape(caption)}</text>""");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, TimeChart chart, TimeChartLayout layout, int index)
    {
        var panel = chart.Panels[index];
        var axis = YAxis.For(panel);
        var format = panel.FormatY ?? FormatNumber;
        var (left, right) = (TimeChartLayout.PlotLeft, layout.PlotRight);
        var top = layout.Top(index);
        var bottom = top + layout.PanelHeight;
        double Y(double fraction) => bottom - (layout.PanelHeight * fraction);

        Line(svg, $"""<g class="panel" id="panel-{index}">""");
        Line(svg, $"""<text x="{left:0.##}" y="{top - 8:0.##}" font-weight="bold">{Escape(panel.Title)}</text>""");
        foreach (var range in chart.ShadedRanges)
        {
            // The range may reach beyond what is plotted (a window longer than the samples): shade the part that is.
            var from = layout.X(Math.Max(range.From, layout.From));
            var to = layout.X(Math.Min(range.To, layout.To));
            if (to > from)
            {
                Line(svg, $"""<rect class="range" x="{from:0.##}" y="{top:0.##}" width="{to - from:0.##}" height="{layout.PanelHeight:0.##}" fill="{Escape(range.Color)}"/>""");
                Line(svg, $"""<text x="{(from + to) / 2:0.##}" y="{top + 14:0.##}" text-anchor="middle" fill="{Grey}">{Escape(range.Label)}</text>""");
            }
        }

        foreach (var tick in axis.Ticks)
        {
            var y = Y(axis.Fraction(tick) ?? 0);
            Line(svg, $"""<line x1="{left:0.##}" x2="{right:0.##}" y1="{y:0.##}" y2="{y:0.##}" stroke="{Grid}"/>""");
            Line(svg, $"""<text x="{left - 6:0.##}" y="{y + 4:0.##}" text-anchor="end">{Escape(format(tick))}</text>""");
        }

        Line(svg, $"""<rect class="plot" x="{left:0.##}" y="{top:0.##}" width="{right - left:0.##}" height="{layout.PanelHeight:0.##}" fill="none" stroke="{Frame}"/>""");
        foreach (var tick in chart.XTicks.Where(t => double.IsFinite(t.At)))
        {
            var x = layout.X(tick.At);
            Line(svg, $"""<line x1="{x:0.##}" x2="{x:0.##}" y1="{bottom:0.##}" y2="{bottom + 4:0.##}" stroke="{Grey}"/>""");
            Line(svg, $"""<text x="{x:0.##}" y="{bottom + TimeChartLayout.LabelRow:0.##}" text-anchor="middle" fill="{Grey}">{Escape(tick.Label)}</text>""");
        }

        foreach (var series in panel.Series)
        {
            foreach (var run in Runs(series.Points, axis))
            {
                // A lone point has no neighbour to join: a polyline of one point would draw nothing.
                if (run.Count == 1)
                {
                    Line(svg, $"""<circle cx="{layout.X(run[0].X):0.##}" cy="{Y(run[0].Fraction):0.##}" r="{series.StrokeWidth + 0.5:0.##}" fill="{Escape(series.Color)}"/>""");
                }
                else
                {
                    var points = string.Join(' ', run.Select(p => string.Create(CultureInfo.InvariantCulture, $"{layout.X(p.X):0.##},{Y(p.Fraction):0.##}")));
                    Line(svg, $"""<polyline fill="none" stroke="{Escape(series.Color)}" stroke-width="{series.StrokeWidth:0.##}" points="{points}"/>""");
                }
            }
        }

        foreach (var threshold in panel.Thresholds)
        {
            if (axis.Fraction(threshold.At) is { } fraction)
            {
                var y = Y(fraction);
                Line(svg, $"""<line class="threshold" x1="{left:0.##}" x2="{right:0.##}" y1="{y:0.##}" y2="{y:0.##}" stroke="{Escape(threshold.Color)}" stroke-dasharray="6 4"/>""");
                Line(svg, $"""<text x="{right - 4:0.##}" y="{y - 4:0.##}" text-anchor="end" fill="{Escape(threshold.Color)}">{Escape($"{threshold.Label} {format(threshold.At)}")}</text>""");
            }
        }

        Legend(svg, panel, axis, right, top);
        Line(svg, $"""</g>""");
    }

    private static void Legend(StringBuilder svg, TimePanel panel, YAxis axis, double plotRight, double top)
    {
        var swatch = plotRight + TimeChartLayout.LegendGap;
        var y = top + 10;
        foreach (var series in panel.Series.Where(s => s.Label.Length > 0))
        {
            // A series with nothing to draw (a configuration that failed) is named without a swatch, as no line is its.
            if (Runs(series.Points, axis).Count > 0)
            {
                Line(svg, $"""<line x1="{swatch:0.##}" x2="{swatch + TimeChartLayout.LegendSwatch:0.##}" y1="{y:0.##}" y2="{y:0.##}" stroke="{Escape(series.Color)}" stroke-width="{series.StrokeWidth + 1:0.##}"/>""");
            }

            Line(svg, $"""<text class="legend" x="{swatch + TimeChartLayout.LegendSwatch + 6:0.##}" y="{y + 4:0.##}" fill="{Escape(series.Color)}">{Escape(series.Label)}</text>""");
            y += 18;
        }
    }

    /// <summary>The stretches of consecutive drawable points, each point as its x and its fraction of the panel's
    /// height: a point that cannot be drawn ends a stretch, so the line breaks there instead of joining across.</summary>
    internal static List<List<(double X, double Fraction)>> Runs(IReadOnlyList<TimePoint> points, YAxis axis)
    {
        var runs = new List<List<(double X, double Fraction)>>();
        List<(double X, double Fraction)>? current = null;
        foreach (var point in points)
        {
            if (double.IsFinite(point.X) && axis.Fraction(point.Y) is { } fraction)
            {
                current ??= [];
                current.Add((point.X, fraction));
            }
            else if (current is not null)
            {
                runs.Add(current);
                current = null;
            }
        }

        if (current is not null)
        {
            runs.Add(current);
        }

        return runs;
    }

    private static string FormatNumber(double value) =>
        value != 0 && Math.Abs(value) < 0.001 ? value.ToString("G3", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Text safe in an element and in a quoted attribute; a character XML cannot hold at all (a control
    /// character in an incident title) becomes U+FFFD rather than making the whole document unreadable.</summary>
    internal static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var entity = c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                _ => null,
            };
            if (entity is not null)
            {
                escaped.Append(entity);
            }
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], c))
            {
                escaped.Append(c).Append(text[++i]);
            }
            else
            {
                escaped.Append(XmlConvert.IsXmlChar(c) ? c : '\uFFFD');
            }
        }

        return escaped.ToString();
    }

    private static void Line(StringBuilder svg, FormattableString element) =>
        svg.Append(element.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
