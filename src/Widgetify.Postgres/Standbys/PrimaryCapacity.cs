using Npgsql;

namespace Widgetify.Postgres.Standbys;

/// <summary>What a new standby needs from the primary, as the primary reports it: one query, one snapshot.</summary>
/// <param name="WalLevel">Streaming needs <c>replica</c> or <c>logical</c>.</param>
/// <param name="MaxWalSenders">The primary's <c>max_wal_senders</c>.</param>
/// <param name="WalSendersInUse">WAL senders running now (standbys streaming, base backups copying).</param>
/// <param name="MaxReplicationSlots">The primary's <c>max_replication_slots</c>.</param>
/// <param name="SlotsInUse">Replication slots that exist, whether a standby uses them or not.</param>
/// <param name="DataBytes">What a base backup copies: every database plus the WAL in pg_wal.</param>
internal sealed record PrimaryCapacity(
    string WalLevel, int MaxWalSenders, int WalSendersInUse, int MaxReplicationSlots, int SlotsInUse, long DataBytes)
{
    public static async Task<PrimaryCapacity> ReadAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT current_setting('wal_level'),
                   current_setting('max_wal_senders')::int,
                   (SELECT count(*) FROM pg_stat_replication)::int,
                   current_setting('max_replication_slots')::int,
                   (SELECT count(*) FROM pg_replication_slots)::int,
                   (SELECT sum(pg_database_size(oid)) FROM pg_database)::bigint
                     + (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())::bigint
            """;
        await using var connection = new NpgsqlConnection(ClusterDatabase.Unpooled(adminConnectionString));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new PrimaryCapacity(
            reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt64(5));
    }
}
