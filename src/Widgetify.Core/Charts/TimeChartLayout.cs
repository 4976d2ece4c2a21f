namespace Widgetify.Core.Charts;

/// <summary>Where things go on a <see cref="TimeChart"/>: the plot's edges, each panel's top, the rows of labels under
/// the last panel, and the x axis's scale. A fixed layout, so the same chart always gives the same document.</summary>
internal sealed class TimeChartLayout
{
    /// <summary>The plot's left edge: room for the y labels.</summary>
    public const double PlotLeft = 70;

    /// <summary>The baseline of the chart's heading.</summary>
    public const double TitleBaseline = 24;

    /// <summary>The first panel's top: under the heading, with room for the panel's own title.</summary>
    public const double FirstPanelTop = 60;

    /// <summary>From the plot to the legend's swatches.</summary>
    public const double LegendGap = 16;

    /// <summary>The length of a legend's swatch, before its text.</summary>
    public const double LegendSwatch = 24;

    private const double RightMargin = 20;

    // Under a panel its x tick labels, above the next one its title.
    private const double PanelGap = 56;

    /// <summary>From one row of labels to the next; from a panel's bottom to its x tick labels.</summary>
    public const double LabelRow = 16;

    // Sans-serif at 11 px averages under 6.5 px a character: enough to size the legend without measuring text.
    private const double CharacterWidth = 6.5;

    // Narrower than this, a plot says nothing.
    private const double MinimumPlotWidth = 100;

    public TimeChartLayout(TimeChart chart)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chart.PanelHeight, 20, "chart.PanelHeight");
        PanelHeight = chart.PanelHeight;
        var longestLabel = chart.Panels.SelectMany(p => p.Series).Select(s => s.Label.Length).DefaultIfEmpty(0).Max();
        var legendWidth = longestLabel == 0 ? 0 : LegendGap + LegendSwatch + 6 + (longestLabel * CharacterWidth);
        PlotRight = chart.Width - RightMargin - legendWidth;
        if (PlotRight - PlotLeft < MinimumPlotWidth)
        {
            throw new ArgumentException(
                $"A chart {chart.Width} px wide leaves {Math.Max(0, PlotRight - PlotLeft):0} px for its plot beside a legend {legendWidth:0} px wide " +
                $"(its longest label has {longestLabel} characters); raise TimeChart.Width or shorten the series labels.",
                nameof(chart));
        }

        (From, To) = XDomain(chart);
        PlotBottom = FirstPanelTop + (chart.Panels.Count * PanelHeight) + (Math.Max(0, chart.Panels.Count - 1) * PanelGap);
        var row = PlotBottom;
        if (chart.XTicks.Count > 0)
        {
            row += LabelRow;
        }

        MarkerLabelBaseline = row += chart.Markers.Count > 0 ? LabelRow : 0;
        CaptionBaseline = row += chart.Caption is null ? 0 : LabelRow + 2;
        Height = row + 14;
    }

    /// <summary>The plot's right edge, left of the legend.</summary>
    public double PlotRight { get; }

    /// <summary>The bottom of the last panel's plot.</summary>
    public double PlotBottom { get; }

    /// <summary>The height of each panel's plot.</summary>
    public double PanelHeight { get; }

    /// <summary>The height of the document.</summary>
    public double Height { get; }

    /// <summary>The x at the plot's left edge.</summary>
    public double From { get; }

    /// <summary>The x at the plot's right edge.</summary>
    public double To { get; }

    /// <summary>The baseline of the markers' labels, under the last panel and its tick labels.</summary>
    public double MarkerLabelBaseline { get; }

    /// <summary>The baseline of the caption.</summary>
    public double CaptionBaseline { get; }

    /// <summary>The top of panel <paramref name="index"/>'s plot.</summary>
    public double Top(int index) => FirstPanelTop + (index * (PanelHeight + PanelGap));

    /// <summary>The px of <paramref name="x"/>.</summary>
    public double X(double x) => PlotLeft + ((PlotRight - PlotLeft) * (x - From) / (To - From));

    private static (double From, double To) XDomain(TimeChart chart)
    {
        var xs = chart.Panels.SelectMany(p => p.Series).SelectMany(s => s.Points).Select(p => p.X)
            .Concat(chart.Markers.Select(m => m.At))
            .Concat(chart.ShadedRanges.SelectMany(r => new[] { r.From, r.To }))
            .Concat(chart.XTicks.Select(t => t.At))
            .Where(double.IsFinite)
            .ToList();
        if (xs.Count == 0)
        {
            return (0, 1);
        }

        var (from, to) = (xs.Min(), xs.Max());
        // One point in time still needs a width to be drawn across.
        return (from, to > from ? to : from + 1);
    }
}
