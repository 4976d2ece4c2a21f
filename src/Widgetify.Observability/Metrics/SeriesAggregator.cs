namespace Widgetify.Observability.Metrics;

/// <summary>The running state of one series. Recording is the hot path (<c>http.server.request.duration</c> on every
/// request), so it takes no shared lock: sums are a compare-and-swap loop, last values a plain write, and a
/// histogram takes only its own series' lock, for a few nanoseconds, so that a snapshot's buckets, count and sum
/// agree with each other.</summary>
internal sealed class SeriesAggregator
{
    private readonly Aggregation _aggregation;
    private readonly double[] _bounds;
    private readonly long[] _buckets;
    private readonly Lock _histogramLock = new();
    private double _value;
    private double _sum;

    public SeriesAggregator(SeriesKey key, Aggregation aggregation, double[] bounds)
    {
        Key = key;
        _aggregation = aggregation;
        _bounds = bounds;
        _buckets = aggregation == Aggregation.Histogram ? new long[bounds.Length + 1] : [];
    }

    public enum Aggregation
    {
        Sum,
        LastValue,
        Histogram,
    }

    public SeriesKey Key { get; }

    /// <summary>The collect in which an observable instrument last reported this series.</summary>
    public long Generation { get; set; }

    public void Record(double value)
    {
        switch (_aggregation)
        {
            case Aggregation.Sum:
                Add(ref _value, value);
                break;
            case Aggregation.LastValue:
                Volatile.Write(ref _value, value);
                break;
            default:
                if (double.IsNaN(value))
                {
                    return; // it would turn the sum into NaN for good and has no bucket
                }

                var index = HistogramBuckets.IndexOf(_bounds, value);
                lock (_histogramLock)
                {
                    _buckets[index]++;
                    _sum += value;
                }

                break;
        }
    }

    public MetricSeries Snapshot()
    {
        if (_aggregation != Aggregation.Histogram)
        {
            return new MetricSeries(Key.Tags, Volatile.Read(ref _value));
        }

        long[] counts;
        double sum;
        lock (_histogramLock)
        {
            counts = (long[])_buckets.Clone();
            sum = _sum;
        }

        var histogram = new HistogramValue(_bounds, counts, sum);
        return new MetricSeries(Key.Tags, histogram.Count, histogram);
    }

    private static void Add(ref double target, double value)
    {
        var current = Volatile.Read(ref target);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref target, current + value, current);
            if (BitConverter.DoubleToInt64Bits(seen) == BitConverter.DoubleToInt64Bits(current))
            {
                return;
            }

            current = seen;
        }
    }
}
