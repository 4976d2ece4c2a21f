namespace Widgetify.Core.Charts;

/// <summary>A panel's y axis, from the values it must show: linear from zero to a round ceiling, or logarithmic over
/// whole decades. It maps a value to a fraction of the panel's height, or to null where the value cannot be drawn.</summary>
internal sealed class YAxis
{
    // With nothing positive to show, a log axis still needs decades to label: 0.1 to 10 around 1.
    private const int EmptyLowDecade = -1;
    private const int EmptyHighDecade = 1;

    private readonly bool _log;
    private readonly double _low;
    private readonly double _high;

    private YAxis(bool log, double low, double high)
    {
        _log = log;
        _low = low;
        _high = high;
    }

    /// <summary>The values the axis labels, bottom to top: the quarters of a linear axis, the decades of a log one.</summary>
    public IEnumerable<double> Ticks => _log
        ? Enumerable.Range((int)_low, (int)(_high - _low) + 1).Select(decade => Math.Pow(10, decade))
        : Enumerable.Range(0, 5).Select(quarter => _high * quarter / 4);

    /// <summary>The axis that shows every drawable value of <paramref name="panel"/> and every threshold.</summary>
    public static YAxis For(TimePanel panel)
    {
        var values = panel.Series.SelectMany(s => s.Points).Select(p => p.Y).OfType<double>().Where(double.IsFinite).ToList();
        var thresholds = panel.Thresholds.Select(t => t.At).Where(double.IsFinite).ToList();
        if (panel.LogScale)
        {
            var positive = values.Concat(thresholds).Where(v => v > 0).ToList();
            if (positive.Count == 0)
            {
                return new YAxis(log: true, EmptyLowDecade, EmptyHighDecade);
            }

            var low = Math.Floor(Math.Log10(positive.Min()));
            var high = Math.Ceiling(Math.Log10(positive.Max()));
            return new YAxis(log: true, low, Math.Max(high, low + 1));
        }

        // A threshold at the very top would lie on the border with its label outside the plot: give it room above.
        var max = values.Concat(thresholds.Select(t => t * 1.2)).DefaultIfEmpty(0).Max();
        return new YAxis(log: false, 0, max > 0 ? NiceCeiling(max) : 1);
    }

    /// <summary>Where <paramref name="value"/> lies, from 0 (bottom) to 1 (top); null when it cannot be drawn (missing,
    /// not finite, or at or below zero on a log axis). A linear value below zero is drawn at zero.</summary>
    public double? Fraction(double? value)
    {
        if (value is not { } v || !double.IsFinite(v))
        {
            return null;
        }

        if (_log)
        {
            return v > 0 ? Math.Clamp((Math.Log10(v) - _low) / (_high - _low), 0, 1) : null;
        }

        return Math.Clamp(v / _high, 0, 1);
    }

    /// <summary>1, 2 or 5 times a power of ten, at or above <paramref name="value"/> (which must be above zero).</summary>
    internal static double NiceCeiling(double value)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var multiple in new[] { 1.0, 2, 5 })
        {
            if (multiple * power >= value)
            {
                return multiple * power;
            }
        }

        return 10 * power;
    }
}
