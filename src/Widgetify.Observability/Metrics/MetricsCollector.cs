using System.Diagnostics.Metrics;

namespace Widgetify.Observability.Metrics;

/// <summary>
/// Listens to the meters named at construction (including ones created later) through a
/// <see cref="MeterListener"/> and keeps every series in memory, so that <see cref="Collect"/> can hand the Prometheus
/// endpoint and the monitoring loop the same numbers. Counters and up-down counters are running sums since listening
/// began; gauges and observable instruments hold their last value; histograms hold buckets (the instrument's advice,
/// else OpenTelemetry's defaults). At most <see cref="MaxSeriesPerInstrument"/> series per instrument: further tag
/// sets share one series tagged <c>otel.metric.overflow=true</c>, as in the OpenTelemetry SDK.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    /// <summary>Series per instrument, the overflow series included (the OpenTelemetry SDK's default limit).</summary>
    public const int MaxSeriesPerInstrument = 2000;

    private readonly HashSet<string> _meterNames;
    private readonly object? _meterScope;
    private readonly MeterListener _listener;
    private readonly Lock _instrumentsLock = new();
    private readonly Lock _collectLock = new();
    private InstrumentState[] _instruments = []; // copy-on-write: Collect reads it without the lock
    private long _generation;
    private bool _disposed;

    /// <summary>Starts listening to the meters named <paramref name="meterNames"/>, whatever created them.</summary>
    /// <param name="meterNames">Exact meter names, e.g. <c>Microsoft.AspNetCore.Hosting</c>, <c>Npgsql</c>.</param>
    public MetricsCollector(IEnumerable<string> meterNames)
        : this(meterNames, meterFactory: null)
    {
    }

    /// <summary>Starts listening to the meters named <paramref name="meterNames"/> that <paramref name="meterFactory"/>
    /// created or that no factory created (static meters, such as Npgsql's). Meters of another factory, i.e. another
    /// host in the same process (integration tests), are left out.</summary>
    /// <param name="meterNames">Exact meter names.</param>
    /// <param name="meterFactory">The host's meter factory, or null for meters of any scope.</param>
    public MetricsCollector(IEnumerable<string> meterNames, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterNames);
        _meterNames = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _meterScope = meterFactory;
        _listener = new MeterListener
        {
            InstrumentPublished = OnInstrumentPublished,
            MeasurementsCompleted = OnMeasurementsCompleted,
        };

        // One callback per numeric type MeterListener supports; measurements arrive with the instrument's state.
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((InstrumentState)state!).Record((double)value, tags));
        _listener.Start();
    }

    /// <summary>Observes the observable instruments, then copies every series. Thread-safe; concurrent calls (a
    /// scrape and the monitoring loop) take turns, because each collect decides which observable series were
    /// reported.</summary>
    /// <returns>The instruments sorted by name then meter name, including those with no series yet.</returns>
    public MetricsSnapshot Collect()
    {
        lock (_collectLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var generation = ++_generation;
            var instruments = Volatile.Read(ref _instruments);
            foreach (var instrument in instruments)
            {
                instrument.Generation = generation;
            }

            try
            {
                _listener.RecordObservableInstruments();
                LastObservationError = null;
            }
            catch (AggregateException e)
            {
                // The listener observes every instrument before it throws what their callbacks threw; the failed
                // instruments report nothing this time (their series drop), the rest of the scrape still serves.
                LastObservationError = e;
            }

            var families = new MetricFamily[instruments.Length];
            for (var i = 0; i < families.Length; i++)
            {
                families[i] = instruments[i].Snapshot();
            }

            Array.Sort(families, static (a, b) =>
            {
                var byName = string.CompareOrdinal(a.Name, b.Name);
                return byName != 0 ? byName : string.CompareOrdinal(a.MeterName, b.MeterName);
            });
            return new MetricsSnapshot(families);
        }
    }

    /// <summary>What observable instruments' callbacks threw during the latest <see cref="Collect"/>, or null when
    /// every callback succeeded; those instruments had no series in that snapshot.</summary>
    public AggregateException? LastObservationError { get; private set; }

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        lock (_collectLock)
        {
            _disposed = true;
        }

        _listener.Dispose();
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        var meter = instrument.Meter;
        if (!_meterNames.Contains(meter.Name) || (_meterScope is not null && meter.Scope is not null && meter.Scope != _meterScope))
        {
            return;
        }

        if (InstrumentState.TryCreate(instrument, MaxSeriesPerInstrument) is not { } state)
        {
            return;
        }

        lock (_instrumentsLock)
        {
            _instruments = [.. _instruments, state];
        }

        listener.EnableMeasurementEvents(instrument, state);
    }

    /// <summary>The instrument's meter was disposed: its series go with it.</summary>
    private void OnMeasurementsCompleted(Instrument instrument, object? state)
    {
        lock (_instrumentsLock)
        {
            _instruments = Array.FindAll(_instruments, s => s != state);
        }
    }
}
