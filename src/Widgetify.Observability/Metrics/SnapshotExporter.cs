using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Widgetify.Observability.Metrics;

/// <summary>Turns the batch a <see cref="MetricsCollector"/> collection hands over into a <see cref="MetricsSnapshot"/>:
/// the SDK's <see cref="MetricPoint"/>s are only valid during the export, so everything is copied.</summary>
internal sealed class SnapshotExporter : BaseExporter<Metric>
{
    public MetricsSnapshot Latest { get; set; } = MetricsSnapshot.Empty;

    public override ExportResult Export(in Batch<Metric> batch)
    {
        var families = new List<MetricFamily>();
        foreach (var metric in batch)
        {
            if (KindOf(metric.MetricType) is { } kind)
            {
                families.Add(new MetricFamily(metric.Name, metric.Unit, metric.Description, metric.MeterName, kind, Series(metric, kind)));
            }
        }

        families.Sort(static (a, b) =>
        {
            var byName = string.CompareOrdinal(a.Name, b.Name);
            return byName != 0 ? byName : string.CompareOrdinal(a.MeterName, b.MeterName);
        });
        Latest = new MetricsSnapshot(families);
        return ExportResult.Success;
    }

    /// <summary>How the metric's values aggregate, or null for exponential histograms (no view asks for them).</summary>
    private static MetricKind? KindOf(MetricType type) => type switch
    {
        MetricType.LongSum or MetricType.DoubleSum => MetricKind.Counter,
        MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic => MetricKind.UpDownCounter,
        MetricType.LongGauge or MetricType.DoubleGauge => MetricKind.Gauge,
        MetricType.Histogram => MetricKind.Histogram,
        _ => null,
    };

    private static List<MetricSeries> Series(Metric metric, MetricKind kind)
    {
        var series = new List<MetricSeries>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var tags = new List<KeyValuePair<string, string>>(point.Tags.Count);
            foreach (var tag in point.Tags)
            {
                tags.Add(new(tag.Key, TagValueText.Format(tag.Value)));
            }

            tags.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            series.Add(kind == MetricKind.Histogram ? HistogramSeries(point, [.. tags]) : new MetricSeries([.. tags], Value(metric.MetricType, point)));
        }

        series.Sort(static (a, b) => CompareTags(a.Tags, b.Tags));
        return series;
    }

    private static double Value(MetricType type, in MetricPoint point) => type switch
    {
        MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
        MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
        MetricType.LongGauge => point.GetGaugeLastValueLong(),
        _ => point.GetGaugeLastValueDouble(),
    };

    private static MetricSeries HistogramSeries(in MetricPoint point, KeyValuePair<string, string>[] tags)
    {
        var bounds = new List<double>();
        var counts = new List<long>();
        foreach (var bucket in point.GetHistogramBuckets())
        {
            // The SDK's buckets are per bucket (not cumulative), the last one's bound +Inf, as HistogramValue wants.
            if (double.IsFinite(bucket.ExplicitBound))
            {
                bounds.Add(bucket.ExplicitBound);
            }

            counts.Add(bucket.BucketCount);
        }

        var histogram = new HistogramValue([.. bounds], [.. counts], point.GetHistogramSum());
        return new MetricSeries(tags, histogram.Count, histogram);
    }

    private static int CompareTags(IReadOnlyList<KeyValuePair<string, string>> a, IReadOnlyList<KeyValuePair<string, string>> b)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var byKey = string.CompareOrdinal(a[i].Key, b[i].Key);
            if (byKey != 0)
            {
                return byKey;
            }

            var byValue = string.CompareOrdinal(a[i].Value, b[i].Value);
            if (byValue != 0)
            {
                return byValue;
            }
        }

        return a.Count.CompareTo(b.Count);
    }
}
