using System.Diagnostics.Metrics;

namespace Widgetify.Observability.Database;

/// <summary>The server-side figures of the last <see cref="DatabaseSampler"/> sample as instruments (meter
/// <see cref="MeterName"/>), named like the OpenTelemetry Collector's PostgreSQL receiver (<c>postgresql.backends</c>,
/// <c>postgresql.commits</c>...; the receiver has no replication slot figures, so <c>postgresql.replication_slot.*</c>
/// follow its pattern). Nothing is reported while the server is down except <c>widgetify.database.up</c> = 0, so a
/// scrape never shows a stale connection count as current; nothing at all before the first sample.</summary>
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
        meter.CreateObservableGauge("postgresql.replication_slot.wal_retained", ObserveRetained, "By",
            "WAL the server keeps for each replication slot (pg_current_wal_lsn() - restart_lsn), by slot_name and active.");
        meter.CreateObservableGauge("postgresql.replication_slot.safe_wal_size", ObserveSafeWalSize, "By",
            "WAL that can still be written before each slot is invalidated (negative: at the next checkpoint); none while max_slot_wal_keep_size is unlimited.");
        meter.CreateObservableGauge("postgresql.replication_slot.wal_keep_size.max", ObserveWalKeepSizeMax, "By",
            "The server's max_slot_wal_keep_size, the most WAL a slot may keep; none while unlimited (-1).");
        meter.CreateObservableCounter("postgresql.wal.archived", () => ObserveArchiver(a => a.ArchivedCount), "{file}",
            "WAL segments archived (pg_stat_archiver.archived_count); none when the server does not archive.");
        meter.CreateObservableCounter("postgresql.wal.archive_failures", () => ObserveArchiver(a => a.FailedCount), "{failure}",
            "Failed attempts to archive a WAL segment (pg_stat_archiver.failed_count); none when the server does not archive.");
        meter.CreateObservableGauge("postgresql.wal.archive_failing", () => ObserveArchiver(a => a.Failing ? 1 : 0), unit: null,
            "1 when the archiver's last attempt failed and nothing was archived since (last_failed_time after last_archived_time).");
    }

    private IEnumerable<Measurement<long>> ObserveArchiver(Func<WalArchiverSample, long> value) =>
        Complete?.Archiver is { } archiver ? [new Measurement<long>(value(archiver))] : [];

    // No series before the first sample (or with monitoring off): Prometheus's DatabaseDown "not_sampled" rule sees that
    // absence, where a 0 would claim the server cannot be reached.
    private IEnumerable<Measurement<int>> ObserveUp() =>
        _sampler.Current is { } sample ? [new Measurement<int>(sample.Up ? 1 : 0)] : [];

    private IEnumerable<Measurement<long>> Observe(Func<DatabaseSample, long> value) =>
        _sampler.Current is { Up: true } sample ? [new Measurement<long>(value(sample))] : [];

    // A full server did not say who holds its connections, how old its transactions are or how far its slots are
    // behind: no stale figures.
    private DatabaseSample? Complete => _sampler.Current is { Up: true, Full: false } sample ? sample : null;

    private IEnumerable<Measurement<double>> ObserveLongest() =>
        Complete is { } sample ? [new Measurement<double>(sample.LongestTransactionSeconds ?? 0)] : [];

    private IEnumerable<Measurement<long>> ObserveBackends() =>
        (Complete?.Backends ?? []).Select(backend => new Measurement<long>(backend.Count,
            new KeyValuePair<string, object?>("state", backend.State),
            new KeyValuePair<string, object?>("application_name", backend.ApplicationName)));

    private IEnumerable<Measurement<long>> ObserveRetained() =>
        (Complete?.ReplicationSlots ?? []).Select(slot => new Measurement<long>(slot.RetainedBytes,
            new KeyValuePair<string, object?>("slot_name", slot.Name),
            new KeyValuePair<string, object?>("active", slot.Active ? "true" : "false")));

    private IEnumerable<Measurement<long>> ObserveSafeWalSize() =>
        from slot in Complete?.ReplicationSlots ?? []
        where slot.SafeWalSize is not null
        select new Measurement<long>(slot.SafeWalSize.GetValueOrDefault(), new KeyValuePair<string, object?>("slot_name", slot.Name));

    // Absent, not -1, while unlimited: the rules tell "no bound" by the series' absence, where a -1 would be a bound
    // every slot is past.
    private IEnumerable<Measurement<long>> ObserveWalKeepSizeMax() =>
        Complete is { MaxSlotWalKeepSize: { } bound } ? [new Measurement<long>(bound)] : [];
}
