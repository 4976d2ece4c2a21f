using Microsoft.Extensions.Logging;
using Npgsql;

namespace Widgetify.Observability.Database;

/// <summary>Asks PostgreSQL how its connections and transactions are doing: the server's side of what the pool sees,
/// which is what Feb 15 lacked (the pool's connections piled up on a server nobody watched). It runs on the instance's
/// control connection, which is already open and counted in the connection budget, so sampling neither needs a new
/// connection when the server is full nor competes with requests for the pool.</summary>
/// <param name="control">The instance's control connection pool.</param>
/// <param name="timeProvider">The clock of samples and staleness.</param>
/// <param name="staleAfter">How long a sample may take, and how long it stays current: a server that has not answered
/// for this long is down.</param>
/// <param name="logger">Logs the server going away and coming back.</param>
internal sealed partial class DatabaseSampler(NpgsqlDataSource control, TimeProvider timeProvider, TimeSpan staleAfter, ILogger<DatabaseSampler> logger)
{
    // One round trip. Client backends only: PostgreSQL's own workers do not count against max_connections' users.
    // The sampler's own session is left out of the longest transaction (it is always in one while it asks).
    // Slots: pg_current_wal_lsn() raises an error on a standby, and the whole sample would fail with it. The control
    // connection reaches the primary, but after a failover the server at its address may be in recovery for a while,
    // and that must not read as "database down": a server in recovery reports no slots. A slot without restart_lsn
    // (never used, or lost) keeps no WAL: 0. The archiver: only where it archives (a standby in archive_mode 'on' does not).
    private const string Sql = """
        SELECT current_setting('max_connections')::int,
               d.xact_commit, d.xact_rollback, d.deadlocks,
               (SELECT extract(epoch FROM max(clock_timestamp() - a.xact_start))::float8
                  FROM pg_stat_activity a
                 WHERE a.backend_type = 'client backend' AND a.xact_start IS NOT NULL AND a.pid <> pg_backend_pid()),
               nullif(pg_size_bytes(current_setting('max_slot_wal_keep_size')), -1)
          FROM pg_stat_database d
         WHERE d.datname = current_database();
        SELECT coalesce(state, 'unknown'), coalesce(application_name, ''), count(*)
          FROM pg_stat_activity
         WHERE backend_type = 'client backend'
         GROUP BY 1, 2;
        SELECT slot_name::text, active, wal_status,
               coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::int8, safe_wal_size
          FROM pg_replication_slots
         WHERE NOT pg_is_in_recovery()
         ORDER BY slot_name;
        SELECT archived_count, failed_count, last_archived_time, last_failed_time, last_failed_wal
          FROM pg_stat_archiver
         WHERE current_setting('archive_mode') <> 'off' AND NOT pg_is_in_recovery();
        """;

    private volatile DatabaseSample? _latest;
    private bool _wasDown;

    /// <summary>The last sample; null before the first.</summary>
    public DatabaseSample? Latest => _latest;

    /// <summary>What is known of the server now: the last sample while it is current, a "down" sample once it is older
    /// than the stale bound (the sampler itself may be stuck waiting), or null before the first. The metrics and the
    /// signals both read this, so they agree.</summary>
    public DatabaseSample? Current
    {
        get
        {
            var latest = _latest;
            var now = timeProvider.GetUtcNow();
            return latest is null || now - latest.At <= staleAfter
                ? latest
                : new DatabaseSample { At = now, Up = false, Error = $"No answer from PostgreSQL for {(now - latest.At).TotalSeconds:0} s." };
        }
    }

    /// <summary>Takes a sample, giving up after the stale bound; never throws but for <paramref name="cancellationToken"/>
    /// (the sample says the server is down).</summary>
    public async Task<DatabaseSample> SampleAsync(CancellationToken cancellationToken)
    {
        DatabaseSample sample;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(staleAfter);
        try
        {
            sample = await QueryAsync(timeout.Token);
            if (_wasDown)
            {
                LogBackUp(logger);
                _wasDown = false;
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.TooManyConnections && _latest is { Up: true } last)
        {
            // Up, but full: "down" would send operators after the wrong problem, as on Feb 15.
            sample = last with { At = timeProvider.GetUtcNow(), Full = true, Error = ex.MessageText };
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested
                                   && ex is NpgsqlException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            // A broken connection (a server restart) is replaced by the next sample. A slow answer is not a broken
            // connection: closing it would mean opening a new one on a server that may be full.
            if (ex is NpgsqlException { IsTransient: true } or InvalidOperationException)
            {
                control.Clear();
            }

            sample = new DatabaseSample { At = timeProvider.GetUtcNow(), Up = false, Error = ex.Message };
            if (!_wasDown)
            {
                LogDown(logger, ex.Message);
                _wasDown = true;
            }
        }

        _latest = sample;
        return sample;
    }

    private async Task<DatabaseSample> QueryAsync(CancellationToken cancellationToken)
    {
        await using var connection = await control.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(Sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var maxConnections = reader.GetInt32(0);
        var commits = reader.GetInt64(1);
        var rollbacks = reader.GetInt64(2);
        var deadlocks = reader.GetInt64(3);
        double? longest = reader.IsDBNull(4) ? null : reader.GetDouble(4);
        long? maxSlotWalKeepSize = reader.IsDBNull(5) ? null : reader.GetInt64(5);
        await reader.NextResultAsync(cancellationToken);
        var backends = new List<BackendCount>();
        while (await reader.ReadAsync(cancellationToken))
        {
            backends.Add(new BackendCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        await reader.NextResultAsync(cancellationToken);
        var slots = new List<ReplicationSlotSample>();
        while (await reader.ReadAsync(cancellationToken))
        {
            slots.Add(new ReplicationSlotSample(
                reader.GetString(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt64(4)));
        }

        await reader.NextResultAsync(cancellationToken);
        WalArchiverSample? archiver = null;
        if (await reader.ReadAsync(cancellationToken))
        {
            archiver = new WalArchiverSample(
                reader.GetInt64(0),
                reader.GetInt64(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4));
        }

        return new DatabaseSample
        {
            Archiver = archiver,
            At = timeProvider.GetUtcNow(),
            Up = true,
            MaxConnections = maxConnections,
            Commits = commits,
            Rollbacks = rollbacks,
            Deadlocks = deadlocks,
            LongestTransactionSeconds = longest,
            Backends = backends,
            ReplicationSlots = slots,
            MaxSlotWalKeepSize = maxSlotWalKeepSize,
        };
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning,
        Message = "PostgreSQL did not answer the monitoring sample: {Error}. The DatabaseDown alert fires if this lasts")]
    private static partial void LogDown(ILogger logger, string error);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "PostgreSQL answers the monitoring sample again")]
    private static partial void LogBackUp(ILogger logger);
}
