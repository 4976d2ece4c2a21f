using System.Diagnostics.Metrics;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>Metrics of the connection budget: how long connections are waited for and held, and each instance's
/// budget, share and gate. Durations are only measured while an instrument is listened to.</summary>
public sealed class PoolGovernanceMetrics
{
    /// <summary>The meter's name, to enable in OpenTelemetry.</summary>
    public const string MeterName = "Widgetify.PoolGovernance";

    /// <summary>The tag naming the instance, after OpenTelemetry's <c>db.client.connection.pool.name</c>.</summary>
    internal const string PoolNameTag = "db.client.connection.pool.name";

    // From 0.1 ms (an idle connection handed over) to 10 s (a request stuck behind a full share).
    private static readonly double[] DurationBuckets = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram<double> acquireDuration;
    private readonly Histogram<double> holdDuration;
    private readonly Lock sync = new();
    private PoolGovernor[] governors = [];

    /// <summary>Creates the instruments.</summary>
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter.</param>
    public PoolGovernanceMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets };
        acquireDuration = meter.CreateHistogram(
            "widgetify.pool.acquire.duration", "s",
            "Time to get a connection: waiting for this instance's share of the budget, then opening it from the pool.", tags: null, advice);
        holdDuration = meter.CreateHistogram(
            "widgetify.pool.hold.duration", "s", "Time a connection was held before it was closed or returned.", tags: null, advice);
        meter.CreateObservableGauge(
            "widgetify.pool.budget", () => Observe(g => g.Current.Budget), "{connection}",
            "Connections PostgreSQL allows the whole fleet, control connections and listeners included.");
        meter.CreateObservableGauge(
            "widgetify.pool.share", () => Observe(g => g.Current.Share), "{connection}", "Connections this instance may hold.");
        meter.CreateObservableGauge(
            "widgetify.pool.connections.held", () => Observe(g => g.Gate.Held), "{connection}", "Connections this instance holds.");
        meter.CreateObservableGauge(
            "widgetify.pool.connections.waiting", () => Observe(g => g.Gate.Waiting), "{connection}",
            "Callers waiting for a connection because the share is used up.");
        meter.CreateObservableGauge(
            "widgetify.pool.instances", () => Observe(g => g.Current.Instances), "{instance}", "Live instances sharing the budget.");
    }

    internal bool AcquireDurationEnabled => acquireDuration.Enabled;

    internal bool HoldDurationEnabled => holdDuration.Enabled;

    internal void RecordAcquire(string instanceName, TimeSpan duration) =>
        acquireDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(PoolNameTag, instanceName));

    internal void RecordHold(string instanceName, TimeSpan duration) =>
        holdDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(PoolNameTag, instanceName));

    internal void Attach(PoolGovernor governor)
    {
        lock (sync)
        {
            governors = [.. governors, governor];
        }
    }

    internal void Detach(PoolGovernor governor)
    {
        lock (sync)
        {
            governors = [.. governors.Where(g => g != governor)];
        }
    }

    private IEnumerable<Measurement<int>> Observe(Func<PoolGovernor, int?> value)
    {
        // Copy-on-write array: observing never blocks a governor that attaches or detaches.
        foreach (var governor in Volatile.Read(ref governors))
        {
            if (value(governor) is { } measured)
            {
                yield return new Measurement<int>(measured, new KeyValuePair<string, object?>(PoolNameTag, governor.InstanceName));
            }
        }
    }
}
