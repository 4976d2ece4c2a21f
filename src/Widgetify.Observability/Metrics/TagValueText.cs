using System.Globalization;

namespace Widgetify.Observability.Metrics;

/// <summary>How a tag's value becomes text in a <see cref="MetricSeries"/>: invariant culture, booleans lowercase (as
/// OpenTelemetry's Prometheus exporter writes them), null as empty.</summary>
internal static class TagValueText
{
    public static string Format(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
