using System.Diagnostics;
using System.Numerics;

namespace Widgetify.Bench.Measurement;

/// <summary>
/// A log-linear latency histogram in microseconds: exact below 256 µs, then 128 linear sub-buckets per power of
/// two, so every bucket is at most 1/128 (0.8%) as wide as its lower bound. Percentiles are reported as the
/// bucket's upper bound (never below the true value, at most 0.8% above it). Recording is lock-free (one
/// <see cref="Interlocked"/> add per counter) because thousands of request completions record concurrently, and
/// allocation-free, because the generator shares two cores with the system it measures.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>Values up to this many microseconds (about 71 minutes) are kept; larger ones are clamped to it.</summary>
    public const long MaxValue = (1L << 32) - 1;

    private const int SubBucketBits = 7;
    private const int SubBucketCount = 1 << SubBucketBits;  // 128 sub-buckets per power of two
    private const int LinearLimit = SubBucketCount * 2;     // 0..255 are their own buckets

    private static readonly int BucketCount = IndexOf(MaxValue) + 1;

    private readonly long[] counts = new long[BucketCount];
    private long count;
    private long max;

    /// <summary>Number of recorded values.</summary>
    public long Count => Volatile.Read(ref count);

    /// <summary>Largest recorded value (µs), exact; 0 when empty.</summary>
    public long Max => Volatile.Read(ref max);

    /// <summary>Records one value in microseconds; negative values count as 0, huge ones as <see cref="MaxValue"/>.</summary>
    public void Record(long microseconds)
    {
        var value = Math.Clamp(microseconds, 0, MaxValue);
        Interlocked.Increment(ref counts[IndexOf(value)]);
        Interlocked.Increment(ref count);
        var seen = Volatile.Read(ref max);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref max, value, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }
    }

    /// <summary>Adds every value of <paramref name="other"/> to this histogram (not atomic as a whole: merge
    /// after recording has finished).</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] += other.counts[i];
        }

        count += other.count;
        max = Math.Max(max, other.max);
    }

    /// <summary>The smallest recorded value v (to the histogram's precision) such that at least
    /// <paramref name="percentile"/>% of the values are ≤ v; 0 when empty.</summary>
    /// <param name="percentile">From 0 to 100, for example 99.9.</param>
    public long ValueAtPercentile(double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percentile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * total));
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), Max);
            }
        }

        return Max;
    }

    /// <summary>Milliseconds at a percentile, for reports.</summary>
    public double MillisecondsAtPercentile(double percentile) => ValueAtPercentile(percentile) / 1000.0;

    /// <summary>The bucket holding <paramref name="value"/> (0 ≤ value ≤ <see cref="MaxValue"/>).</summary>
    internal static int IndexOf(long value)
    {
        Debug.Assert(value is >= 0 and <= MaxValue);
        if (value < LinearLimit)
        {
            return (int)value;
        }

        // The top 8 bits of the value (128..255) select the sub-bucket; the shift says which power of two.
        var shift = BitOperations.Log2((ulong)value) - SubBucketBits;
        var mantissa = (int)(value >> shift);
        return LinearLimit + ((shift - 1) * SubBucketCount) + (mantissa - SubBucketCount);
    }

    /// <summary>Smallest value that falls in bucket <paramref name="index"/>.</summary>
    internal static long LowerBound(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var shift = ((index - LinearLimit) / SubBucketCount) + 1;
        var mantissa = ((index - LinearLimit) % SubBucketCount) + SubBucketCount;
        return (long)mantissa << shift;
    }

    /// <summary>Largest value that falls in bucket <paramref name="index"/>.</summary>
    internal static long UpperBound(int index) => LowerBound(index + 1) - 1;
}
