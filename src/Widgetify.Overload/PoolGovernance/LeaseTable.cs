using Npgsql;
using NpgsqlTypes;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>The lease table every instance on the database shares. All lease work happens in one transaction under a
/// transaction-scoped advisory lock: it serializes renewals across instances, and, unlike a session lock, is released
/// by COMMIT, so it also works through PgBouncer in transaction mode. Leases are stamped and expired by one clock, the
/// database's unless a test gives its fake one (<see cref="LeaseClock"/>), so the instances' clocks never have to agree.</summary>
internal static class LeaseTable
{
    /// <summary>The advisory lock key every instance agrees on ("wpool" in ASCII); differs from the migrations' key.</summary>
    internal const long AdvisoryLockKey = 0x77706F6F6C;

    /// <summary>The table's name.</summary>
    internal const string Name = "widgetify_pool_leases";

    private const string CreateSql = """
        CREATE TABLE IF NOT EXISTS widgetify_pool_leases (
            instance_id   uuid        PRIMARY KEY,
            instance_name text        NOT NULL,
            wanted        integer     NOT NULL CHECK (wanted >= 0),
            granted       integer     NOT NULL CHECK (granted >= 0),
            started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
            renewed_at    timestamptz NOT NULL,
            expires_at    timestamptz NOT NULL)
        """;

    // One stamp for the row: renewed_at and expires_at are exactly LeaseDuration apart. clock_timestamp(), not now():
    // now() is when the transaction began, before it queued on the lease lock, so it would backdate the renewal.
    private const string UpsertSql = """
        INSERT INTO widgetify_pool_leases AS l (instance_id, instance_name, wanted, granted, started_at, renewed_at, expires_at)
        SELECT $1, $2, $3, $4, clock.now, clock.now, clock.now + $5
        FROM (SELECT coalesce($6, clock_timestamp()) AS now) AS clock
        ON CONFLICT (instance_id) DO UPDATE
            SET instance_name = EXCLUDED.instance_name, wanted = EXCLUDED.wanted, granted = EXCLUDED.granted,
                renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at
        RETURNING l.renewed_at
        """;

    private const string DeleteExpiredSql = $"DELETE FROM {Name} WHERE expires_at < coalesce($1, clock_timestamp())";

    /// <summary>Creates the table unless it exists. Two instances running CREATE TABLE IF NOT EXISTS at once can
    /// still collide in the catalog, so creation takes the lease lock too.</summary>
    public static async Task EnsureCreatedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(CreateSql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // A runtime role with row privileges only: the schema's owner created the table with the migrations
            // (PoolGovernor.CreateLeaseTableAsync), and even CREATE ... IF NOT EXISTS needs CREATE on the schema.
            return;
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Takes the lease lock (held until the transaction ends), reads the server's limits, removes the leases
    /// expired by <paramref name="clock"/> and reads the other live ones. A lease is live up to its expiry instant.</summary>
    public static async Task<LeaseTableView> LockAndReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid self, LeaseClock clock, CancellationToken cancellationToken)
    {
        await LockAsync(connection, transaction, cancellationToken);
        var limits = await ServerConnectionLimits.ReadAsync(connection, transaction, cancellationToken);

        int expired;
        // Read after the lock is granted: the wait for it may have been long.
        await using (var delete = new NpgsqlCommand(DeleteExpiredSql, connection, transaction) { Parameters = { Stamp(clock) } })
        {
            expired = await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        var peers = new List<PeerLease>();
        await using var select = new NpgsqlCommand($"SELECT instance_id, wanted, granted FROM {Name} WHERE instance_id <> $1", connection, transaction)
        {
            Parameters = { new() { Value = self } },
        };
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            peers.Add(new PeerLease(reader.GetGuid(0), reader.GetInt32(1), reader.GetInt32(2)));
        }

        return new LeaseTableView(limits, peers, expired);
    }

    /// <summary>Records this instance's lease, valid for <paramref name="leaseDuration"/> from now on <paramref name="clock"/>.</summary>
    /// <returns>The renewal's stamp.</returns>
    public static async Task<DateTimeOffset> UpsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid self, string instanceName, int wanted, int granted,
        TimeSpan leaseDuration, LeaseClock clock, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(UpsertSql, connection, transaction)
        {
            Parameters =
            {
                new() { Value = self },
                new() { Value = instanceName },
                new() { Value = wanted },
                new() { Value = granted },
                new() { Value = leaseDuration },
                Stamp(clock),
            },
        };
        var renewedAt = await command.ExecuteScalarAsync(cancellationToken);
        return new DateTimeOffset((DateTime)renewedAt!, TimeSpan.Zero);
    }

    /// <summary>Deletes this instance's lease, giving its share back at once.</summary>
    /// <returns>True when there was a lease to delete.</returns>
    public static async Task<bool> DeleteAsync(NpgsqlConnection connection, Guid self, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"DELETE FROM {Name} WHERE instance_id = $1", connection)
        {
            Parameters = { new() { Value = self } },
        };
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>The clock's time as a parameter, or a typed null that makes the statement read the database's clock.</summary>
    private static NpgsqlParameter Stamp(LeaseClock clock) => new()
    {
        Value = clock.Now() is { } now ? now.ToUniversalTime() : DBNull.Value,
        NpgsqlDbType = NpgsqlDbType.TimestampTz,
    };

    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction)
        {
            Parameters = { new() { Value = AdvisoryLockKey } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
