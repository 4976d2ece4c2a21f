namespace Widgetify.Core.Charts;

/// <summary>A chart of values over one shared x axis (seconds, in the caller's origin), for <see cref="SvgTimeChart.Write"/>:
/// panels stacked top to bottom, and the markers, shaded ranges and ticks of the x axis drawn across all of them. The x
/// axis spans every point, marker, shaded range and tick.</summary>
public sealed class TimeChart
{
    /// <summary>The heading, also the document's <c>&lt;title&gt;</c>.</summary>
    public required string Title { get; init; }

    /// <summary>The panels, top to bottom.</summary>
    public required IReadOnlyList<TimePanel> Panels { get; init; }

    /// <summary>Vertical dashed lines through every panel at a moment (a detection, a resolution), labelled under the
    /// last panel in their <see cref="AxisMark.Color"/>.</summary>
    public IReadOnlyList<AxisMark> Markers { get; init; } = [];

    /// <summary>Spans of x shaded in every panel (a storm window), labelled at the top of each panel.</summary>
    public IReadOnlyList<ShadedRange> ShadedRanges { get; init; } = [];

    /// <summary>Ticks of the x axis, labelled under every panel.</summary>
    public IReadOnlyList<AxisMark> XTicks { get; init; } = [];

    /// <summary>A line of text under the chart (what x means, the span shown); null for none.</summary>
    public string? Caption { get; init; }

    /// <summary>The width of the document, in px; the plot is what the y labels and the legend leave.</summary>
    /// <value>Default 960.</value>
    public double Width { get; init; } = 960;

    /// <summary>The height of each panel's plot, in px.</summary>
    /// <value>Default 170.</value>
    public double PanelHeight { get; init; } = 170;
}
