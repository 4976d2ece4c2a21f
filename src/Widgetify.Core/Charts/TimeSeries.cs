namespace Widgetify.Core.Charts;

/// <summary>One line of a <see cref="TimePanel"/>. A point whose value is missing (or not a finite number, or at or
/// below zero on a log scale) breaks the line; a point with no neighbour to join is drawn as a dot. A series with no
/// point is listed in the legend only (a configuration that failed).</summary>
/// <param name="Label">The legend's text; empty to leave the series out of the legend.</param>
/// <param name="Color">Any SVG colour (<c>#d62728</c>).</param>
/// <param name="Points">The points, in x order.</param>
public sealed record TimeSeries(string Label, string Color, IReadOnlyList<TimePoint> Points)
{
    /// <summary>The line's width, in px.</summary>
    /// <value>Default 1.5.</value>
    public double StrokeWidth { get; init; } = 1.5;
}
