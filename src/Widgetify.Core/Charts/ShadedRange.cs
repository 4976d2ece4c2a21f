namespace Widgetify.Core.Charts;

/// <summary>A span of x shaded in every panel of a <see cref="TimeChart"/>, behind the lines (a storm window).</summary>
/// <param name="From">Where the span starts.</param>
/// <param name="To">Where it ends.</param>
/// <param name="Label">The text centred at the top of the span in each panel; empty for none.</param>
public sealed record ShadedRange(double From, double To, string Label)
{
    /// <summary>The fill (any SVG colour): light, since the lines are drawn over it.</summary>
    /// <value>Default <c>#eeeeee</c>.</value>
    public string Color { get; init; } = "#eeeeee";
}
