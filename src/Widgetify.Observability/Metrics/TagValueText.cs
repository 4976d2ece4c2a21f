using System.Globalization;

namespace Widgetify.Observability.Metrics;

/// <summary>How a tag's value becomes label text: invariant culture, booleans lowercase (as OpenTelemetry's exporters
/// write them), null as empty. The span form lets the hot path compare values without allocating a string.</summary>
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

    /// <summary>Writes the text of a non-string value into <paramref name="destination"/>; false when it does not
    /// fit.</summary>
    public static bool TryFormat(object? value, Span<char> destination, out int written)
    {
        switch (value)
        {
            case null:
                written = 0;
                return true;
            case bool flag:
                return Copy(flag ? "true" : "false", destination, out written);
            case ISpanFormattable formattable:
                return formattable.TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
            default:
                return Copy(Format(value), destination, out written);
        }
    }

    private static bool Copy(string text, Span<char> destination, out int written)
    {
        written = text.Length;
        return text.TryCopyTo(destination);
    }
}
