using System.Diagnostics.CodeAnalysis;
using OpenTelemetry.Metrics;

namespace Widgetify.Observability.Metrics;

/// <summary>The in-process reader of the OpenTelemetry <see cref="MeterProvider"/>: <see cref="Collect"/> asks the
/// SDK for its cumulative aggregates (the same ones the Prometheus exporter serves) and copies them into a
/// <see cref="MetricsSnapshot"/> for the monitoring loop. It never exports anywhere: the alerts read the signals
/// in-process, so they keep working when no one scrapes and do not depend on the exposition format.</summary>
/// <remarks>Register <see cref="Reader"/> with the host's meter provider
/// (<c>AddReader(sp =&gt; sp.GetRequiredService&lt;MetricsCollector&gt;().Reader)</c>); the provider owns and disposes
/// it. Counters and up-down counters are sums since the provider started; gauges and observable instruments hold the
/// value of the latest observation; histograms hold their buckets.</remarks>
[SuppressMessage("Design", "CA1001", Justification = "The reader disposes the exporter, and the meter provider the reader.")]
public sealed class MetricsCollector
{
    private readonly SnapshotExporter _exporter = new();
    private readonly Lock _collectLock = new();

    /// <summary>Creates the collector and its reader.</summary>
    public MetricsCollector()
    {
        // Cumulative, as Prometheus reads them: SignalSampler takes the deltas itself, and a delta reader would
        // reset the aggregates another reader (the Prometheus exporter) does not share anyway.
        Reader = new BaseExportingMetricReader(_exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };
    }

    /// <summary>The reader to add to the meter provider.</summary>
    public MetricReader Reader { get; }

    /// <summary>Observes the observable instruments and copies every series. Thread-safe: concurrent callers take
    /// turns, each gets the snapshot of its own collection.</summary>
    /// <returns>The instruments sorted by name then meter name; empty when the reader is not (or no longer) part of
    /// a meter provider.</returns>
    public MetricsSnapshot Collect()
    {
        lock (_collectLock)
        {
            _exporter.Latest = MetricsSnapshot.Empty;
            return Reader.Collect() ? _exporter.Latest : MetricsSnapshot.Empty;
        }
    }
}
