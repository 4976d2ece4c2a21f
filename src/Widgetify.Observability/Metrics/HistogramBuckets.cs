using System.Diagnostics.Metrics;

namespace Widgetify.Observability.Metrics;

/// <summary>A histogram's bucket bounds: the instrument's advice, or else the OpenTelemetry SDK's defaults.</summary>
internal static class HistogramBuckets
{
    /// <summary>OpenTelemetry's default bounds for durations in seconds (semantic conventions' recommendation).</summary>
    public static IReadOnlyList<double> DefaultSeconds { get; } =
        [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    /// <summary>OpenTelemetry's default explicit bucket bounds, sized for milliseconds.</summary>
    public static IReadOnlyList<double> Default { get; } =
        [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    public static double[] For(Instrument instrument)
    {
        var advised = instrument switch
        {
            Histogram<double> h => Convert(h.Advice?.HistogramBucketBoundaries, static v => v),
            Histogram<float> h => Convert(h.Advice?.HistogramBucketBoundaries, static v => v),
            Histogram<long> h => Convert(h.Advice?.HistogramBucketBoundaries, static v => v),
            Histogram<int> h => Convert(h.Advice?.HistogramBucketBoundaries, static v => v),
            Histogram<short> h => Convert(h.Advice?.HistogramBucketBoundaries, static v => v),
            Histogram<byte> h => Convert(h.Advice?.HistogramBucketBoundaries, static v => v),
            Histogram<decimal> h => Convert(h.Advice?.HistogramBucketBoundaries, static v => (double)v),
            _ => null,
        };
        if (advised is not null)
        {
            return advised;
        }

        return [.. string.Equals(instrument.Unit, "s", StringComparison.Ordinal) ? DefaultSeconds : Default];
    }

    /// <summary>The index of the bucket <paramref name="value"/> falls in: the first bound at or above it (bounds
    /// are inclusive, as Prometheus' <c>le</c>), or the +Inf bucket.</summary>
    public static int IndexOf(double[] bounds, double value)
    {
        // A linear scan beats a binary search for the dozen or so bounds histograms have (OpenTelemetry's SDK
        // switches at about 50), and most latencies land in the first few buckets.
        if (bounds.Length > 48)
        {
            var found = Array.BinarySearch(bounds, value);
            return found >= 0 ? found : ~found;
        }

        for (var i = 0; i < bounds.Length; i++)
        {
            if (value <= bounds[i])
            {
                return i;
            }
        }

        return bounds.Length;
    }

    private static double[]? Convert<T>(IReadOnlyList<T>? bounds, Func<T, double> toDouble)
    {
        if (bounds is null)
        {
            return null;
        }

        // InstrumentAdvice already insists on ascending bounds; infinities add nothing (+Inf is implicit).
        var result = bounds.Select(toDouble).Where(double.IsFinite).ToArray();
        for (var i = 1; i < result.Length; i++)
        {
            if (result[i] <= result[i - 1])
            {
                return null;
            }
        }

        return result;
    }
}
