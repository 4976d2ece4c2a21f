namespace Widgetify.Core.Charts;

/// <summary>A labelled position on an axis: a marker or a tick at an x (<see cref="TimeChart.Markers"/>,
/// <see cref="TimeChart.XTicks"/>), or a threshold at a y (<see cref="TimePanel.Thresholds"/>).</summary>
/// <param name="At">The position, in the axis's unit.</param>
/// <param name="Label">The text written beside it.</param>
public sealed record AxisMark(double At, string Label)
{
    /// <summary>The colour of the line and of its label (any SVG colour); ticks are always grey.</summary>
    /// <value>Default <c>#555555</c>.</value>
    public string Color { get; init; } = "#555555";
}
