using System.Globalization;

namespace Widgetify.PoolReview.Rules;

/// <summary>Invariant-culture formatting for the findings' sentences, so a reason reads the same on every machine.</summary>
internal static class ReviewText
{
    public static string F(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    /// <summary>Seconds without trailing zeros: 2, 0.5, 1.25.</summary>
    public static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
