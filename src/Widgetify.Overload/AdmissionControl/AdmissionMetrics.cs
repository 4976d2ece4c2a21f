using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>
/// Admission control's instruments (meter <see cref="MeterName"/>), named by OpenTelemetry conventions:
/// <list type="bullet">
/// <item><c>widgetify.admission.limit</c> (gauge, {request}): the concurrency limit.</item>
/// <item><c>widgetify.admission.in_flight</c> (up-down counter, {request}): requests holding a lease.</item>
/// <item><c>widgetify.admission.queued</c> (up-down counter, {request}, by <c>widgetify.priority</c>): waiters.</item>
/// <item><c>widgetify.admission.admitted</c> (counter, {request}, by <c>widgetify.priority</c>): the denominator of a
/// shed ratio.</item>
/// <item><c>widgetify.admission.shed</c> (counter, {request}, by <c>widgetify.priority</c> and
/// <c>widgetify.shed.reason</c>: queue_full, queue_timeout, deadline, no_capacity, evicted, cpu_overload). A client that went away
/// is not shed: <c>deadline</c> is only counted when reported by <see cref="AdmissionController.ReportDeadlineExceeded"/>.</item>
/// <item><c>widgetify.admission.skipped</c> (counter, {request}, by <c>widgetify.priority</c>): requests let through
/// without a slot because they do no database work (<see cref="AdmissionSkipMetadata"/>); with admitted and shed, every
/// governed request, so a shed ratio keeps its denominator.</item>
/// <item><c>widgetify.admission.queue.duration</c> (histogram, s, by <c>widgetify.priority</c> and
/// <c>widgetify.admission.result</c>: admitted or the rejection reason): time spent queued.</item>
/// <item><c>widgetify.admission.over_share</c> (counter, {request}, by <c>widgetify.priority</c>): of the shed, those
/// refused at a full queue or evicted from it because their tenant held more than its share of the queue. No tenant
/// label: tenants are unbounded, and a label per tenant would be a series per tenant.</item>
/// <item><c>widgetify.admission.cpu_lag</c> (gauge, s): the smoothed time work waits for a thread-pool thread, the
/// signal of the CPU shed (<see cref="AdmissionOptions.CpuShed"/>) and of the limit's CPU-bound windows; absent outside the
/// adaptive mode.</item>
/// <item><c>widgetify.admission.partitions</c> (gauge, {partition}): tenants with a request in flight or queued, among
/// which the shares are divided.</item>
/// </list>
/// Work is skipped unless an instrument is listened to.
/// </summary>
public sealed class AdmissionMetrics
{
    /// <summary>The name of the meter.</summary>
    public const string MeterName = "Widgetify.AdmissionControl";

    private static readonly RequestPriority[] s_priorities =
        [RequestPriority.Critical, RequestPriority.Write, RequestPriority.Read, RequestPriority.Background];

    private readonly Lock _sourcesLock = new();
    private readonly Counter<long> _admitted;
    private readonly Counter<long> _shed;
    private readonly Histogram<double> _queueDuration;
    private readonly Counter<long> _overShare;
    private readonly Counter<long> _skipped;
    private Func<AdmissionStatistics>[] _sources = []; // copy-on-write: collection reads it without the lock

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    /// <param name="meterFactory">The host's meter factory, which owns and disposes the meter.</param>
    public AdmissionMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("widgetify.admission.limit", ObserveLimit, "{request}",
            "Adaptive concurrency limit: requests that may do database work at once.");
        meter.CreateObservableUpDownCounter("widgetify.admission.in_flight", ObserveInFlight, "{request}",
            "Requests admitted and not yet completed.");
        meter.CreateObservableUpDownCounter("widgetify.admission.queued", ObserveQueued, "{request}",
            "Requests waiting for admission.");
        _admitted = meter.CreateCounter<long>("widgetify.admission.admitted", "{request}",
            "Requests admitted, immediately or after queueing.");
        _shed = meter.CreateCounter<long>("widgetify.admission.shed", "{request}",
            "Requests rejected by admission control to protect the database.");
        _skipped = meter.CreateCounter<long>("widgetify.admission.skipped", "{request}",
            "Requests let through without a slot because they do no database work (an embed held in memory).");
        _overShare = meter.CreateCounter<long>("widgetify.admission.over_share", "{request}",
            "Requests shed at a full queue because their tenant held more than its share of it (counted in shed too).");
        meter.CreateObservableGauge("widgetify.admission.cpu_lag", ObserveCpuLag, "s",
            "Smoothed time work waits for a thread-pool thread: above Admission:CpuLagTarget, governed requests are shed for CPU.");
        meter.CreateObservableGauge("widgetify.admission.partitions", ObservePartitions, "{partition}",
            "Tenants with a request in flight or queued: the shares of the limit and the queue are split among them.");
        _queueDuration = meter.CreateHistogram("widgetify.admission.queue.duration", "s",
            "Time a request waited in the admission queue, whatever became of it.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
    }

    /// <summary>Lets the observable instruments report <paramref name="source"/> (a controller's statistics).</summary>
    /// <returns>Dispose to stop observing.</returns>
    internal IDisposable Observe(Func<AdmissionStatistics> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_sourcesLock)
        {
            _sources = [.. _sources, source];
        }

        return new Subscription(this, source);
    }

    internal void RecordAdmitted(RequestPriority priority)
    {
        if (_admitted.Enabled)
        {
            _admitted.Add(1, new KeyValuePair<string, object?>("widgetify.priority", PriorityName(priority)));
        }
    }

    internal void RecordSkipped(RequestPriority priority)
    {
        if (_skipped.Enabled)
        {
            _skipped.Add(1, new KeyValuePair<string, object?>("widgetify.priority", PriorityName(priority)));
        }
    }

    internal void RecordOverShare(RequestPriority priority)
    {
        if (_overShare.Enabled)
        {
            _overShare.Add(1, new KeyValuePair<string, object?>("widgetify.priority", PriorityName(priority)));
        }
    }

    internal void RecordShed(RequestPriority priority, RejectionReason reason)
    {
        if (_shed.Enabled)
        {
            var tags = new TagList
            {
                { "widgetify.priority", PriorityName(priority) },
                { "widgetify.shed.reason", ReasonName(reason) },
            };
            _shed.Add(1, tags);
        }
    }

    internal void RecordQueueDuration(RequestPriority priority, RejectionReason reason, TimeSpan duration)
    {
        if (_queueDuration.Enabled)
        {
            var tags = new TagList
            {
                { "widgetify.priority", PriorityName(priority) },
                { "widgetify.admission.result", reason == RejectionReason.None ? "admitted" : ReasonName(reason) },
            };
            _queueDuration.Record(duration.TotalSeconds, tags);
        }
    }

    /// <summary>Lowercase tag value; a switch, because Enum.ToString allocates and culture-free lowering warns.</summary>
    internal static string PriorityName(RequestPriority priority) => priority switch
    {
        RequestPriority.Critical => "critical",
        RequestPriority.Write => "write",
        RequestPriority.Read => "read",
        RequestPriority.Background => "background",
        _ => "unknown",
    };

    /// <summary>The snake_case tag value of a rejection reason.</summary>
    internal static string ReasonName(RejectionReason reason) => reason switch
    {
        RejectionReason.QueueFull => "queue_full",
        RejectionReason.QueueTimeout => "queue_timeout",
        RejectionReason.Deadline => "deadline",
        RejectionReason.NoCapacity => "no_capacity",
        RejectionReason.Evicted => "evicted",
        RejectionReason.CpuOverload => "cpu_overload",
        _ => "none",
    };

    private IEnumerable<Measurement<int>> ObserveLimit()
    {
        foreach (var source in Volatile.Read(ref _sources))
        {
            yield return new Measurement<int>(source().Limit);
        }
    }

    private IEnumerable<Measurement<double>> ObserveCpuLag()
    {
        foreach (var source in Volatile.Read(ref _sources))
        {
            if (source().CpuLag is { } lag)
            {
                yield return new Measurement<double>(lag.TotalSeconds);
            }
        }
    }

    private IEnumerable<Measurement<int>> ObservePartitions()
    {
        foreach (var source in Volatile.Read(ref _sources))
        {
            yield return new Measurement<int>(source().ActivePartitions);
        }
    }

    private IEnumerable<Measurement<int>> ObserveInFlight()
    {
        foreach (var source in Volatile.Read(ref _sources))
        {
            yield return new Measurement<int>(source().InFlight);
        }
    }

    private IEnumerable<Measurement<int>> ObserveQueued()
    {
        foreach (var source in Volatile.Read(ref _sources))
        {
            var statistics = source();
            foreach (var priority in s_priorities)
            {
                yield return new Measurement<int>(statistics.GetQueued(priority),
                    new KeyValuePair<string, object?>("widgetify.priority", PriorityName(priority)));
            }
        }
    }

    private void Unobserve(Func<AdmissionStatistics> source)
    {
        lock (_sourcesLock)
        {
            _sources = Array.FindAll(_sources, s => s != source);
        }
    }

    private sealed class Subscription(AdmissionMetrics owner, Func<AdmissionStatistics> source) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unobserve(source);
            }
        }
    }
}
