using System.Diagnostics.Metrics;

namespace Widgetify.Observability.Database;

/// <summary>The server-side figures of the last <see cref="DatabaseSampler"/> sample as instruments (meter
/// <see cref="MeterName"/>), named like the OpenTelemetry Collector's PostgreSQL receiver (<c>postgresql.backends</c>,
/// <c>postgresql.commits</c>...). Nothing is reported while the server is down except <c>widgetify.database.up</c> = 0,
/// so a scrape never shows a stale connection count as current; nothing at all before the first sample.</summary>
internal sealed class DatabaseMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Widgetify.Database";

    private readonly DatabaseSampler _sampler;

    public DatabaseMetrics(IMeterFactory meterFactory, DatabaseSampler sampler)
    {
        _sampler = sampler;
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("widgetify.database.up", ObserveUp, unit: null,
            "1 when PostgreSQL answered the last monitoring sample, 0 when it did not.");
        meter.CreateObservableUpDownCounter("postgresql.backends", ObserveBackends, "{connection}",
            "Client connections on the server, by state and application_name (pg_stat_activity).");
        meter.CreateObservableGauge("postgresql.connection.max", () => Observe(s => s.MaxConnections), "{connection}",
            "The server's max_connections.");
        meter.CreateObservableCounter("postgresql.commits", () => Observe(s => s.Commits), "{commit}",
            "Transactions committed in Widgetify's database (pg_stat_database).");
        meter.CreateObservableCounter("postgresql.rollbacks", () => Observe(s => s.Rollbacks), "{rollback}",
            "Transactions rolled back in Widgetify's database (pg_stat_database).");
        meter.CreateObservableCounter("postgresql.deadlocks", () => Observe(s => s.Deadlocks), "{deadlock}",
            "Deadlocks detected in Widgetify's database (pg_stat_database).");
        meter.CreateObservableGauge("postgresql.longest_transaction.duration", ObserveLongest, "s",
            "Age of the oldest open transaction on the server (0 when none).");
    }

    // No series before the first sample (or with monitoring off): Prometheus's DatabaseDown "not_sampled" rule sees that
    // absence, where a 0 would claim the server cannot be reached.
    private IEnumerable<Measurement<int>> ObserveUp() =>
        _sampler.Current is { } sample ? [new Measurement<int>(sample.Up ? 1 : 0)] : [];

    private IEnumerable<Measurement<long>> Observe(Func<DatabaseSample, long> value) =>
        _sampler.Current is { Up: true } sample ? [new Measurement<long>(value(sample))] : [];

    private IEnumerable<Measurement<double>> ObserveLongest() =>
        _sampler.Current is { Up: true, Full: false } sample ? [new Measurement<double>(sample.LongestTransactionSeconds ?? 0)] : [];

    private IEnumerable<Measurement<long>> ObserveBackends()
    {
        // A full server did not say who holds its connections: no stale breakdown.
        if (_sampler.Current is not { Up: true, Full: false } sample)
        {
            yield break;
        }

        foreach (var backend in sample.Backends)
        {
            yield return new Measurement<long>(backend.Count,
                new KeyValuePair<string, object?>("state", backend.State),
                new KeyValuePair<string, object?>("application_name", backend.ApplicationName));
        }
    }
}
