namespace Widgetify.Core.Charts;

/// <summary>One panel of a <see cref="TimeChart"/>: its own y axis, its series, its threshold lines and its legend.</summary>
public sealed class TimePanel
{
    /// <summary>The panel's heading, above its top-left corner; name the unit here ("Latency (s)").</summary>
    public required string Title { get; init; }

    /// <summary>The lines, drawn in this order (the last on top) and listed in the legend beside the panel.</summary>
    public required IReadOnlyList<TimeSeries> Series { get; init; }

    /// <summary>False: linear from zero up to 1, 2 or 5 times a power of ten (values below zero are drawn at zero).
    /// True: logarithmic over whole decades, where a value at or below zero cannot be drawn and leaves a gap.</summary>
    public bool LogScale { get; init; }

    /// <summary>Horizontal dashed lines at a y (an objective), labelled with their label and value; the y axis always
    /// reaches them.</summary>
    public IReadOnlyList<AxisMark> Thresholds { get; init; } = [];

    /// <summary>How the y axis and the thresholds write a value ("250 ms"); null writes the number, invariant culture, up
    /// to three decimals. It should not depend on the current culture, or the document will not be reproducible.</summary>
    public Func<double, string>? FormatY { get; init; }
}
