using Npgsql;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>The lease table every instance on the database shares. All lease work happens in one transaction under a
/// transaction-scoped advisory lock: it serializes renewals across instances, and, unlike a session lock, is released
/// by COMMIT, so it also works through PgBouncer in transaction mode. Expiry uses the database clock only, so the
/// instances' clocks never have to agree.</summary>
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

    private const string UpsertSql = """
        INSERT INTO widgetify_pool_leases AS l (instance_id, instance_name, wanted, granted, renewed_at, expires_at)
        VALUES ($1, $2, $3, $4, clock_timestamp(), clock_timestamp() + $5)
        ON CONFLICT (instance_id) DO UPDATE
            SET instance_name = EXCLUDED.instance_name, wanted = EXCLUDED.wanted, granted = EXCLUDED.granted,
                renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at
        RETURNING l.renewed_at
        """;

    /// <summary>Creates the table unless it exists. Two instances running CREATE TABLE IF NOT EXISTS at once can
    /// still collide in the catalog, so creation takes the lease lock too.</summary>
    public static async Task EnsureCreatedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, cancellationToken);
        await using (var command = new NpgsqlCommand(CreateSql, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Takes the lease lock (held until the transaction ends), reads the server's limits, removes expired
    /// leases and reads the other live ones.</summary>
    public static async Task<LeaseTableView> LockAndReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid self, CancellationToken cancellationToken)
    {
        await LockAsync(connection, transaction, cancellationToken);
        var limits = await ServerConnectionLimits.ReadAsync(connection, transaction, cancellationToken);

        int expired;
        await using (var delete = new NpgsqlCommand($"DELETE FROM {Name} WHERE expires_at < clock_timestamp()", connection, transaction))
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

    /// <summary>Records this instance's lease, valid for <paramref name="leaseDuration"/> from now on the database clock.</summary>
    /// <returns>When the database recorded the renewal.</returns>
    public static async Task<DateTimeOffset> UpsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid self, string instanceName, int wanted, int granted,
        TimeSpan leaseDuration, CancellationToken cancellationToken)
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

    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction)
        {
            Parameters = { new() { Value = AdvisoryLockKey } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
