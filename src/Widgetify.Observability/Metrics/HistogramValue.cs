using System.Diagnostics;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Metrics;

/// <summary>A histogram series' buckets since listening began: per-bucket (not cumulative) counts, the last being
/// +Inf, the way <see cref="LatencyDistribution"/> holds them.</summary>
public sealed class HistogramValue
{
    private readonly double[] _upperBounds;
    private readonly LatencyDistribution _buckets;

    /// <summary>Creates a histogram value.</summary>
    /// <param name="upperBounds">Ascending finite upper bounds; not copied, so never change it afterwards.</param>
    /// <param name="counts">Observations per bucket (not cumulative): one per bound, then the +Inf bucket.</param>
    /// <param name="sum">The sum of all observations.</param>
    public HistogramValue(double[] upperBounds, long[] counts, double sum)
    {
        _buckets = new LatencyDistribution(upperBounds, counts);
        _upperBounds = upperBounds;
        Sum = sum;
    }

    /// <summary>The finite upper bounds (inclusive, as Prometheus' <c>le</c>), ascending.</summary>
    public IReadOnlyList<double> UpperBounds => _buckets.UpperBounds;

    /// <summary>Observations per bucket, not cumulative; the last is the +Inf bucket.</summary>
    public IReadOnlyList<long> Counts => _buckets.Counts;

    /// <summary>The sum of all observations.</summary>
    public double Sum { get; }

    /// <summary>All observations (the sum of <see cref="Counts"/>).</summary>
    public long Count => _buckets.Count;

    /// <summary>The observations made after <paramref name="earlier"/> was taken: this minus it, bucket by bucket.
    /// A bucket that went down means the series restarted (the collector or instrument was recreated), so, like
    /// PromQL's <c>rate()</c> across a counter reset, everything in this value counts.</summary>
    /// <param name="earlier">An earlier value of the same series, or null for everything.</param>
    /// <exception cref="ArgumentException">The bucket bounds differ.</exception>
    public LatencyDistribution Since(HistogramValue? earlier)
    {
        if (earlier is null)
        {
            return _buckets;
        }

        if (!_upperBounds.AsSpan().SequenceEqual(earlier._upperBounds))
        {
            throw new ArgumentException("The earlier value has different bucket bounds: it is not of the same series.", nameof(earlier));
        }

        var counts = new long[Counts.Count];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Counts[i] - earlier.Counts[i];
            if (counts[i] < 0)
            {
                return _buckets;
            }
        }

        Debug.Assert(counts.Sum() == Count - earlier.Count, "Subtraction keeps the totals.");
        return new LatencyDistribution(_upperBounds, counts);
    }
}
