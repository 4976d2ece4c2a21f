using System.Globalization;

namespace Widgetify.Observability.Alerts;

/// <summary>How numbers read in alert summaries: invariant culture, three significant digits, short units, so the
/// same alert reads the same in every log, webhook and page.</summary>
internal static class AlertText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A quantity, e.g. 1.84, 0.0042 or 1250.</summary>
    public static string Number(double value) =>
        Math.Abs(value) >= 1_000 ? value.ToString("0", Invariant) : value.ToString("G3", Invariant);

    /// <summary>Seconds with their unit, e.g. "1.84 s".</summary>
    public static string Seconds(double seconds) => Number(seconds) + " s";

    /// <summary>A ratio as a percentage, e.g. "2.5%".</summary>
    public static string Percent(double ratio) => Number(ratio * 100) + "%";

    /// <summary>A multiple, e.g. "12.3x".</summary>
    public static string Times(double factor) => factor.ToString("0.0", Invariant) + "x";

    /// <summary>A window length, e.g. "10 s", "5 m", "1 h".</summary>
    public static string Duration(TimeSpan duration) => duration switch
    {
        { TotalHours: >= 1 } when duration.Ticks % TimeSpan.TicksPerHour == 0 => Number(duration.TotalHours) + " h",
        { TotalMinutes: >= 1 } when duration.Ticks % TimeSpan.TicksPerMinute == 0 => Number(duration.TotalMinutes) + " m",
        _ => Number(duration.TotalSeconds) + " s",
    };

    /// <summary>The values as <c>name=value</c> pairs, e.g. "p99_seconds=1.84, threshold_seconds=0.45".</summary>
    public static string Values(IReadOnlyDictionary<string, double> values) =>
        string.Join(", ", values.Select(v => v.Key + "=" + Number(v.Value)));
}
