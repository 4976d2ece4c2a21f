using System.Globalization;
using System.Security;
using System.Text;
using Widgetify.Bench.Storm;

namespace Widgetify.Bench.Reporting;

/// <summary>
/// storm.svg, written by hand (no charting dependency): two stacked panels over the recorded seconds, goodput
/// (linear) above and p99 of successful requests (log scale) below, one line per configuration, the storm
/// window shaded, and a legend.
/// </summary>
internal static class SvgChartWriter
{
    private const double Width = 1080;
    private const double Left = 70;
    private const double Right = 780;
    private const double PanelHeight = 230;
    private const double GoodputTop = 50;
    private const double LatencyTop = GoodputTop + PanelHeight + 60;
    private const double Height = LatencyTop + PanelHeight + 50;

    private static readonly string[] Colors = ["#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#2ca02c"];

    public static string Write(StormReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var configurations = report.Configurations.Where(c => c.Succeeded && c.Series.Count > 0).ToList();
        var seconds = report.BaselineSeconds + report.StormSeconds + report.RecoverySeconds;
        var maxGoodput = NiceCeiling(Math.Max(1, configurations.SelectMany(c => c.Series).Select(s => (double)s.Successes).DefaultIfEmpty(1).Max()));
        var latencies = configurations.SelectMany(c => c.Series).Where(s => s.P99Ms is > 0).Select(s => s.P99Ms!.Value).ToList();
        var minDecade = Math.Floor(Math.Log10(latencies.Count > 0 ? latencies.Min() : 0.1));
        var maxDecade = Math.Ceiling(Math.Log10(latencies.Count > 0 ? latencies.Max() : 10));
        if (maxDecade <= minDecade)
        {
            maxDecade = minDecade + 1;
        }

        double X(double second) => Left + ((Right - Left) * second / seconds);
        double YGoodput(double value) => GoodputTop + PanelHeight - (PanelHeight * value / maxGoodput);
        double YLatency(double ms) => LatencyTop + PanelHeight - (PanelHeight * (Math.Log10(ms) - minDecade) / (maxDecade - minDecade));

        var svg = new StringBuilder();
        Append(svg, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" font-family="sans-serif" font-size="12">""");
        Append(svg, $"""<rect width="{Width}" height="{Height}" fill="white"/>""");
        Append(svg, $"""<text x="{Left}" y="24" font-size="16" font-weight="bold">Storm: {Escape(F($"baseline {report.BaselineRate:0} req/s, storm {report.StormRate:0} req/s, capacity {report.Capacity.RequestsPerSecond:0} req/s"))}</text>""");

        foreach (var (top, title) in new[] { (GoodputTop, "goodput (successful requests/s)"), (LatencyTop, "p99 latency of successful requests (log scale)") })
        {
            Append(svg, $"""<rect x="{X(report.BaselineSeconds)}" y="{top}" width="{X(report.BaselineSeconds + report.StormSeconds) - X(report.BaselineSeconds)}" height="{PanelHeight}" fill="#fde3e3"/>""");
            Append(svg, $"""<rect x="{Left}" y="{top}" width="{Right - Left}" height="{PanelHeight}" fill="none" stroke="#888"/>""");
            Append(svg, $"""<text x="{Left}" y="{top - 8}" font-weight="bold">{Escape(title)}</text>""");
            Append(svg, $"""<text x="{(X(report.BaselineSeconds) + X(report.BaselineSeconds + report.StormSeconds)) / 2}" y="{top + 14}" text-anchor="middle" fill="#b22">storm</text>""");
            var step = seconds <= 20 ? 2 : seconds <= 60 ? 5 : 10;
            for (var s = 0; s <= seconds; s += step)
            {
                Append(svg, $"""<line x1="{X(s)}" y1="{top + PanelHeight}" x2="{X(s)}" y2="{top + PanelHeight + 4}" stroke="#888"/>""");
                Append(svg, $"""<text x="{X(s)}" y="{top + PanelHeight + 16}" text-anchor="middle">{s}</text>""");
            }
        }

        Append(svg, $"""<text x="{(Left + Right) / 2}" y="{Height - 10}" text-anchor="middle">seconds since the baseline began</text>""");

        for (var i = 0; i <= 4; i++)
        {
            var value = maxGoodput * i / 4;
            Append(svg, $"""<line x1="{Left}" y1="{YGoodput(value)}" x2="{Right}" y2="{YGoodput(value)}" stroke="#ddd"/>""");
            Append(svg, $"""<text x="{Left - 6}" y="{YGoodput(value) + 4}" text-anchor="end">{value:0}</text>""");
        }

        for (var decade = minDecade; decade <= maxDecade; decade++)
        {
            var ms = Math.Pow(10, decade);
            Append(svg, $"""<line x1="{Left}" y1="{YLatency(ms)}" x2="{Right}" y2="{YLatency(ms)}" stroke="#ddd"/>""");
            Append(svg, $"""<text x="{Left - 6}" y="{YLatency(ms) + 4}" text-anchor="end">{Escape(LatencyLabel(ms))}</text>""");
        }

        for (var i = 0; i < configurations.Count; i++)
        {
            var c = configurations[i];
            var color = Colors[(c.Number - 1) % Colors.Length];
            var width = c.Number == BenchConfiguration.WidgetifyNumber ? 2.5 : 1.5;
            var goodput = string.Join(' ', c.Series.Select(s => F($"{X(s.Second + 0.5):0.#},{YGoodput(s.Successes):0.#}")));
            Append(svg, $"""<polyline fill="none" stroke="{color}" stroke-width="{width}" points="{goodput}"/>""");
            // A second without a single success has no p99: the line breaks there.
            foreach (var run in Runs(c.Series))
            {
                if (run.Count == 1)
                {
                    Append(svg, $"""<circle cx="{X(run[0].Second + 0.5):0.#}" cy="{YLatency(run[0].P99Ms!.Value):0.#}" r="2" fill="{color}"/>""");
                }
                else
                {
                    var points = string.Join(' ', run.Select(s => F($"{X(s.Second + 0.5):0.#},{YLatency(s.P99Ms!.Value):0.#}")));
                    Append(svg, $"""<polyline fill="none" stroke="{color}" stroke-width="{width}" points="{points}"/>""");
                }
            }

            var y = GoodputTop + 10 + (i * 22);
            Append(svg, $"""<line x1="{Right + 20}" y1="{y}" x2="{Right + 50}" y2="{y}" stroke="{color}" stroke-width="{width + 1}"/>""");
            Append(svg, $"""<text x="{Right + 56}" y="{y + 4}">{Escape(F($"{c.Number} {c.Name}"))}</text>""");
        }

        var legendLine = configurations.Count;
        foreach (var failed in report.Configurations.Where(c => !c.Succeeded))
        {
            var y = GoodputTop + 10 + (legendLine++ * 22);
            Append(svg, $"""<text x="{Right + 20}" y="{y + 4}" fill="#888">{Escape(F($"{failed.Number} {failed.Name}: failed"))}</text>""");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Consecutive seconds that have a p99.</summary>
    internal static List<List<SecondResult>> Runs(IReadOnlyList<SecondResult> series)
    {
        var runs = new List<List<SecondResult>>();
        List<SecondResult>? current = null;
        foreach (var second in series)
        {
            if (second.P99Ms is > 0)
            {
                current ??= [];
                current.Add(second);
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

    /// <summary>1, 2 or 5 times a power of ten, at or above <paramref name="value"/>.</summary>
    internal static double NiceCeiling(double value)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var multiple in new[] { 1.0, 2, 5, 10 })
        {
            if (multiple * power >= value)
            {
                return multiple * power;
            }
        }

        return 10 * power;
    }

    private static string LatencyLabel(double ms) => ms >= 1000 ? F($"{ms / 1000:0.###} s") : F($"{ms:0.###} ms");

    private static string Escape(string text) => SecurityElement.Escape(text);

    private static void Append(StringBuilder svg, FormattableString element) => svg.Append(F(element)).Append('\n');

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
