using System.Globalization;
using Widgetify.Bench.Storm;
using Widgetify.Core.Charts;

namespace Widgetify.Bench.Reporting;

/// <summary>
/// storm.svg: two stacked panels over the recorded seconds, goodput (linear) above and p99 of successful requests (log
/// scale) below, one line per configuration (Widgetify's thicker), the storm window shaded, and a legend that also
/// names the configurations that failed. What to show is decided here; drawing it is <see cref="SvgTimeChart"/>'s.
/// </summary>
internal static class StormChart
{
    private const string FailedColor = "#888888";

    private static readonly string[] Colors = ["#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#2ca02c"];

    public static string Write(StormReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var seconds = report.BaselineSeconds + report.StormSeconds + report.RecoverySeconds;
        var goodput = new List<TimeSeries>();
        var latency = new List<TimeSeries>();
        foreach (var c in report.Configurations.Where(c => c.Succeeded && c.Series.Count > 0))
        {
            var color = Colors[(c.Number - 1) % Colors.Length];
            var width = c.Number == BenchConfiguration.WidgetifyNumber ? 2.5 : 1.5;
            var label = F($"{c.Number} {c.Name}");
            // Each second is drawn at its middle. A second without a single success has no p99: its line breaks there.
            goodput.Add(new TimeSeries(label, color, [.. c.Series.Select(s => new TimePoint(s.Second + 0.5, s.Successes))]) { StrokeWidth = width });
            latency.Add(new TimeSeries(label, color, [.. c.Series.Select(s => new TimePoint(s.Second + 0.5, s.P99Ms))]) { StrokeWidth = width });
        }

        foreach (var failed in report.Configurations.Where(c => !c.Succeeded))
        {
            var named = new TimeSeries(F($"{failed.Number} {failed.Name}: failed"), FailedColor, []);
            goodput.Add(named);
            latency.Add(named);
        }

        var stormStart = report.BaselineSeconds;
        return SvgTimeChart.Write(new TimeChart
        {
            Title = F($"Storm: baseline {report.BaselineRate:0} req/s, storm {report.StormRate:0} req/s, capacity {report.Capacity.RequestsPerSecond:0} req/s"),
            Width = 1080,
            PanelHeight = 230,
            Panels =
            [
                new TimePanel { Title = "goodput (successful requests/s)", Series = goodput },
                new TimePanel { Title = "p99 latency of successful requests (log scale)", Series = latency, LogScale = true, FormatY = LatencyLabel },
            ],
            ShadedRanges = [new ShadedRange(stormStart, stormStart + report.StormSeconds, "storm") { Color = "#fde3e3" }],
            XTicks = Ticks(seconds),
            Caption = "seconds since the baseline began",
        });
    }

    private static List<AxisMark> Ticks(int seconds)
    {
        var step = seconds <= 20 ? 2 : seconds <= 60 ? 5 : 10;
        var ticks = new List<AxisMark>();
        for (var s = 0; s <= seconds; s += step)
        {
            ticks.Add(new AxisMark(s, s.ToString(CultureInfo.InvariantCulture)));
        }

        return ticks;
    }

    private static string LatencyLabel(double ms) => ms >= 1000 ? F($"{ms / 1000:0.###} s") : F($"{ms:0.###} ms");

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
