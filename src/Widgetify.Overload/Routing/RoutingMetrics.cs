using System.Diagnostics.Metrics;

namespace Widgetify.Overload.Routing;

/// <summary>Metrics of read routing: each standby's lag, reads served per server and reads retried on another server
/// (standbys by state are the autoscaler's <c>widgetify.replicas</c>, fed from <see cref="ReadRouter.Servers"/>). Observed from the routers' own state at collection time, so routing does no metrics work per read
/// beyond the counters it keeps anyway.</summary>
public sealed class RoutingMetrics
{
    /// <summary>The meter's name, to enable in OpenTelemetry.</summary>
    public const string MeterName = "Widgetify.Routing";

    private const string ServerTag = "widgetify.server";

    private readonly Counter<long> retries;
    private readonly Lock sync = new();
    private ReadRouter[] routers = [];

    /// <summary>Creates the instruments.</summary>
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter.</param>
    public RoutingMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge(
            "widgetify.replica.lag", () => ObserveStandbys(s => s.Lag.Time.TotalSeconds), "s",
            "How old the oldest WAL a standby has not replayed is (0 when caught up).");
        meter.CreateObservableGauge(
            "widgetify.replica.lag.bytes", () => ObserveStandbys(s => (double)s.Lag.Bytes), "By",
            "WAL the primary has written that a standby has not replayed.");
        meter.CreateObservableCounter("widgetify.routing.reads", ObserveReads, "{read}", "Reads this instance routed to a server and that completed there.");
        retries = meter.CreateCounter<long>(
            "widgetify.routing.retries", "{read}", "Reads that failed because of their standby and were retried once on another server.");
    }

    internal void Attach(ReadRouter router)
    {
        lock (sync)
        {
            routers = [.. routers, router];
        }
    }

    internal void Detach(ReadRouter router)
    {
        lock (sync)
        {
            routers = [.. routers.Where(r => r != router)];
        }
    }

    internal void RecordRetry(string server) => retries.Add(1, new KeyValuePair<string, object?>(ServerTag, server));

    private IEnumerable<Measurement<double>> ObserveStandbys(Func<ReadServer, double> value)
    {
        foreach (var router in Volatile.Read(ref routers))
        {
            foreach (var standby in router.Standbys)
            {
                yield return new Measurement<double>(value(standby), new KeyValuePair<string, object?>(ServerTag, standby.Name));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveReads()
    {
        foreach (var router in Volatile.Read(ref routers))
        {
            yield return new Measurement<long>(router.PrimaryReads, new KeyValuePair<string, object?>(ServerTag, ReadRouter.PrimaryName));
            foreach (var standby in router.Standbys)
            {
                yield return new Measurement<long>(standby.ReadsServed, new KeyValuePair<string, object?>(ServerTag, standby.Name));
            }
        }
    }
}
