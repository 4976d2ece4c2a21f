using System.Diagnostics;

namespace Widgetify.Observability.Signals;

/// <summary>Observations counted per bucket of a histogram (the last bucket is +Inf), for one or more seconds.
/// Distributions with the same bounds add up, so a window's quantile comes from its seconds' counts, the way PromQL's
/// <c>histogram_quantile</c> reads a <c>rate()</c> of buckets.</summary>
public sealed class LatencyDistribution
{
    private readonly double[] _upperBounds;
    private readonly long[] _counts;

    /// <summary>Creates a distribution.</summary>
    /// <param name="upperBounds">Ascending finite upper bounds, in seconds.</param>
    /// <param name="counts">Observations per bucket (not cumulative): one per bound, then the +Inf bucket.</param>
    public LatencyDistribution(double[] upperBounds, long[] counts)
    {
        ArgumentNullException.ThrowIfNull(upperBounds);
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Length != upperBounds.Length + 1)
        {
            throw new ArgumentException($"Expected {upperBounds.Length + 1} counts (one per bound and +Inf), got {counts.Length}.", nameof(counts));
        }

        _upperBounds = upperBounds;
        _counts = counts;
        Count = counts.Sum();
    }

    /// <summary>A distribution with no observations and no buckets.</summary>
    public static LatencyDistribution Empty { get; } = new([], [0]);

    /// <summary>The finite upper bounds, ascending.</summary>
    public IReadOnlyList<double> UpperBounds => _upperBounds;

    /// <summary>Observations per bucket, the last being +Inf.</summary>
    public IReadOnlyList<long> Counts => _counts;

    /// <summary>All observations.</summary>
    public long Count { get; }

    /// <summary>The <paramref name="quantile"/> by linear interpolation inside its bucket, like PromQL's
    /// <c>histogram_quantile</c>: a quantile in the +Inf bucket is the highest finite bound. Null without observations.</summary>
    /// <param name="quantile">From 0 to 1.</param>
    public double? Quantile(double quantile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantile, 1);
        if (Count == 0)
        {
            return null;
        }

        var rank = quantile * Count;
        long below = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            if (below + _counts[i] >= rank && _counts[i] > 0)
            {
                if (i == _upperBounds.Length)
                {
                    return _upperBounds.Length == 0 ? null : _upperBounds[^1];
                }

                var lower = i == 0 ? 0 : _upperBounds[i - 1];
                return lower + ((_upperBounds[i] - lower) * ((rank - below) / _counts[i]));
            }

            below += _counts[i];
        }

        return _upperBounds.Length == 0 ? null : _upperBounds[^1];
    }

    /// <summary>Observations that may be above <paramref name="seconds"/>: those of every bucket whose upper bound
    /// exceeds it (+Inf included). Exact when <paramref name="seconds"/> is a bucket bound; otherwise the bucket that
    /// straddles it counts whole, so that a <see cref="Quantile"/> above <paramref name="seconds"/> always has
    /// observations here (the quantile lies in one of these buckets).</summary>
    /// <param name="seconds">The threshold.</param>
    public long CountAbove(double seconds)
    {
        long above = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            if (i == _upperBounds.Length || _upperBounds[i] > seconds)
            {
                above += _counts[i];
            }
        }

        return above;
    }

    /// <summary>The sum of this distribution and <paramref name="other"/>; an empty side yields the other.</summary>
    /// <param name="other">A distribution with the same bounds, or an empty one.</param>
    public LatencyDistribution Add(LatencyDistribution other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count == 0 && other._upperBounds.Length == 0)
        {
            return this;
        }

        if (Count == 0 && _upperBounds.Length == 0)
        {
            return other;
        }

        if (!_upperBounds.AsSpan().SequenceEqual(other._upperBounds))
        {
            throw new ArgumentException("Distributions with different bucket bounds cannot be added.", nameof(other));
        }

        var sum = new long[_counts.Length];
        for (var i = 0; i < sum.Length; i++)
        {
            sum[i] = _counts[i] + other._counts[i];
        }

        Debug.Assert(sum.Sum() == Count + other.Count, "Adding keeps every observation.");
        return new LatencyDistribution(_upperBounds, sum);
    }
}
