using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Widgetify.Observability.Metrics;

/// <summary>The series of one listened instrument, with the cardinality guard.</summary>
internal sealed class InstrumentState
{
    /// <summary>The tag the OpenTelemetry SDK puts on the series that takes every tag set past the limit.</summary>
    public const string OverflowTag = "otel.metric.overflow";

    private static readonly SeriesKey s_overflowKey = new([new(OverflowTag, "true")]);

    // Recordings search by their tags as given (an alternate lookup, no key allocated) in a dictionary whose reads
    // take no lock; only a new tag set takes _gate, which is rare once an application has warmed up.
    private readonly ConcurrentDictionary<SeriesKey, SeriesAggregator> _series = new(SeriesKeyComparer.Instance);
    private readonly ConcurrentDictionary<SeriesKey, SeriesAggregator>.AlternateLookup<TagView> _lookup;
    private readonly Lock _gate = new();
    private readonly int _maxSeries;
    private readonly SeriesAggregator.Aggregation _aggregation;
    private readonly double[] _bounds;
    private readonly bool _dropsNegative;
    private readonly bool _observable;
    private SeriesAggregator? _overflow;
    private int _count;

    private InstrumentState(Instrument instrument, MetricKind kind, int maxSeries)
    {
        Instrument = instrument;
        Kind = kind;
        _maxSeries = maxSeries;
        _lookup = _series.GetAlternateLookup<TagView>();
        _aggregation = kind == MetricKind.Histogram ? SeriesAggregator.Aggregation.Histogram
            : instrument.IsObservable || kind == MetricKind.Gauge ? SeriesAggregator.Aggregation.LastValue
            : SeriesAggregator.Aggregation.Sum;
        _bounds = kind == MetricKind.Histogram ? HistogramBuckets.For(instrument) : [];

        // A negative increment would read as a counter reset to Prometheus; the instrument promises monotonic values.
        _observable = instrument.IsObservable;
        _dropsNegative = kind == MetricKind.Counter && !instrument.IsObservable;
    }

    public Instrument Instrument { get; }

    public MetricKind Kind { get; }

    /// <summary>The collect in progress; observable measurements stamp their series with it.</summary>
    public long Generation { get; set; }

    /// <summary>The state for <paramref name="instrument"/>, or null for an instrument type this collector does not
    /// know (a custom <see cref="Instrument"/> subclass).</summary>
    public static InstrumentState? TryCreate(Instrument instrument, int maxSeries)
    {
        var kind = KindOf(instrument);
        return kind is null ? null : new InstrumentState(instrument, kind.Value, maxSeries);
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_dropsNegative && !(value >= 0))
        {
            return;
        }

        // Sized to the recording: the runtime zeroes stack buffers, and this runs on every request.
        Span<char> buffer = stackalloc char[TagView.BufferLength];
        Span<int> ranges = tags.Length <= TagView.MaxTags ? stackalloc int[2 * tags.Length] : default;
        SeriesAggregator? series;
        if (TagView.TryCreate(tags, buffer, ranges, out var view))
        {
            if (!_lookup.TryGetValue(view, out series))
            {
                series = Add(view.ToKey());
            }
        }
        else
        {
            var key = SeriesKey.From(tags);
            if (!_series.TryGetValue(key, out series))
            {
                series = Add(key);
            }
        }

        if (_observable)
        {
            series.Generation = Generation; // only observable series need it: spare the hot path the write
        }

        series.Record(value);
    }

    public MetricFamily Snapshot()
    {
        if (_observable)
        {
            DropUnreported();
        }

        var series = new List<MetricSeries>(_series.Count + 1);
        foreach (var entry in _series)
        {
            series.Add(entry.Value.Snapshot());
        }

        series.Sort(static (a, b) => CompareTags(a.Tags, b.Tags));
        if (Volatile.Read(ref _overflow) is { } overflow)
        {
            series.Add(overflow.Snapshot());
        }

        return new MetricFamily(Instrument.Name, Instrument.Unit, Instrument.Description, Instrument.Meter.Name, Kind, series.ToArray());
    }

    private SeriesAggregator Add(SeriesKey key)
    {
        lock (_gate)
        {
            if (_series.TryGetValue(key, out var existing))
            {
                return existing;
            }

            // Like the OpenTelemetry SDK, the overflow series counts against the limit: at most _maxSeries in all.
            if (_count >= _maxSeries - 1)
            {
                _overflow ??= new SeriesAggregator(s_overflowKey, _aggregation, _bounds);
                return _overflow;
            }

            var created = new SeriesAggregator(key, _aggregation, _bounds) { Generation = Generation };
            _series[key] = created;
            _count++;
            return created;
        }
    }

    /// <summary>An observable instrument reports every tag set it has at each collect; one it did not report is
    /// gone (a connection state with no connections, a removed pool), so its series goes too.</summary>
    private void DropUnreported()
    {
        lock (_gate)
        {
            foreach (var entry in _series)
            {
                if (entry.Value.Generation != Generation && _series.TryRemove(entry))
                {
                    _count--;
                }
            }

            if (_overflow is { } overflow && overflow.Generation != Generation)
            {
                _overflow = null;
            }
        }
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

    private static MetricKind? KindOf(Instrument instrument)
    {
        for (var type = instrument.GetType(); type is not null; type = type.BaseType)
        {
            if (!type.IsGenericType)
            {
                continue;
            }

            var definition = type.GetGenericTypeDefinition();
            if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>))
            {
                return MetricKind.Counter;
            }

            if (definition == typeof(UpDownCounter<>) || definition == typeof(ObservableUpDownCounter<>))
            {
                return MetricKind.UpDownCounter;
            }

            if (definition == typeof(Gauge<>) || definition == typeof(ObservableGauge<>))
            {
                return MetricKind.Gauge;
            }

            if (definition == typeof(Histogram<>))
            {
                return MetricKind.Histogram;
            }
        }

        return null;
    }
}
