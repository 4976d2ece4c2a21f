using System.Globalization;
using Widgetify.Core.Charts;

namespace Widgetify.Bench.Scale;

/// <summary>scale.svg: the run second by second in five stacked panels (standbys by state, the read path's saturation,
/// reads per second by server and the generator's successes, p99 of successful reads, the largest standby lag), the
/// phases shaded, the decisions and the kill marked. What to show is decided here; drawing it is
/// <see cref="SvgTimeChart"/>'s.</summary>
internal static class ScaleChart
{
    private static readonly string[] PhaseColors = ["#fde3e3", "#e3ecfd", "#fdf3e3", "#e3fde8", "#efe3fd"];

    public static string Write(ScaleReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Series;
        var markers = report.Decisions
            .Select(d => new AxisMark(report.SecondsFrom(d.At), F($"{d.Direction} {d.From}→{d.To}")) { Color = d.Direction == "in" ? "#1f77b4" : "#2ca02c" })
            .ToList();
        if (report.Kill is { } kill)
        {
            markers.Add(new AxisMark(report.SecondsFrom(kill.KilledAt), "kill -9") { Color = "#d62728" });
        }

        return SvgTimeChart.Write(new TimeChart
        {
            Title = F($"bench scale: surges at {report.SurgeRate:0} reads/s, --replicas 0 --max-replicas 2"),
            Width = 1080,
            PanelHeight = 130,
            Panels =
            [
                new TimePanel
                {
                    Title = "standbys",
                    Series =
                    [
                        Line("in rotation (ready)", "#2ca02c", s, x => x.Ready, 2.5),
                        Line("live (ready, lagging, starting)", "#7f7f7f", s, x => x.Live),
                    ],
                },
                new TimePanel
                {
                    // Log scale: a shedding surge reads 50 to 100, and the thresholds at 1 and 0.5 must stay apart (0 is not drawn).
                    Title = "read-path saturation as the autoscaler took it in (1 = at target; log scale)",
                    Series = [Line("saturation", "#9467bd", s, x => x.Saturation)],
                    Thresholds = [new AxisMark(1, "scale out above"), new AxisMark(0.5, "scale in below")],
                    LogScale = true,
                },
                new TimePanel
                {
                    Title = "reads/s",
                    Series =
                    [
                        Line("generator 2xx", "#000000", s, x => x.Successes),
                        Line("served by the primary", "#ff7f0e", s, x => x.PrimaryReads),
                        Line("served by standbys", "#1f77b4", s, x => x.StandbyReads),
                    ],
                },
                new TimePanel
                {
                    Title = "p99 of successful reads (log scale)",
                    Series = [Line("p99", "#d62728", s, x => x.P99Ms)],
                    LogScale = true,
                    FormatY = ms => ms >= 1000 ? F($"{ms / 1000:0.###} s") : F($"{ms:0.###} ms"),
                },
                new TimePanel
                {
                    Title = "largest standby lag (s)",
                    Series = [Line("lag", "#8c564b", s, x => x.MaxLagSeconds)],
                    Thresholds = [new AxisMark(report.MaxLagSeconds, "MaxLag")],
                },
            ],
            ShadedRanges = [.. report.Phases.Select((p, i) => new ShadedRange(p.From, p.To, p.Name) { Color = PhaseColors[i % PhaseColors.Length] })],
            Markers = markers,
            XTicks = Ticks(s.Count),
            Caption = "seconds since the first surge began",
        });
    }

    /// <summary>A line through the seconds (drawn at each second's middle); a second without a value has no y, so the line
    /// breaks there rather than joining across what was not measured.</summary>
    private static TimeSeries Line<T>(string label, string color, IReadOnlyList<ScaleSecond> series, Func<ScaleSecond, T?> value, double width = 1.5)
        where T : struct, IConvertible =>
        new(label, color, [.. series.Select(x => new TimePoint(x.Second + 0.5, value(x)?.ToDouble(CultureInfo.InvariantCulture)))])
        {
            StrokeWidth = width,
        };

    private static List<AxisMark> Ticks(int seconds)
    {
        var step = seconds <= 60 ? 5 : seconds <= 240 ? 15 : 30;
        var ticks = new List<AxisMark>();
        for (var t = 0; t <= seconds; t += step)
        {
            ticks.Add(new AxisMark(t, t.ToString(CultureInfo.InvariantCulture)));
        }

        return ticks;
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
