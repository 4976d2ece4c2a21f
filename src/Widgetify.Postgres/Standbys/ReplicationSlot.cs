using Npgsql;

namespace Widgetify.Postgres.Standbys;

/// <summary>A standby's physical replication slot on the primary, as pg_replication_slots and pg_stat_replication show it.</summary>
/// <param name="Name">The slot.</param>
/// <param name="ActivePid">The WAL sender using it, when one is.</param>
/// <param name="WalStatus"><c>reserved</c>, <c>extended</c>, <c>unreserved</c>, or <c>lost</c> once max_slot_wal_keep_size was exceeded.</param>
/// <param name="SenderState">That WAL sender's state: <c>startup</c>, <c>catchup</c>, <c>streaming</c>, ...; null when none.</param>
internal sealed record ReplicationSlot(string Name, int? ActivePid, string? WalStatus, string? SenderState)
{
    /// <summary>The primary removed WAL the standby still needed: it can never catch up, only be made again.</summary>
    public bool IsLost => WalStatus == "lost";

    public bool IsStreaming => SenderState == "streaming";

    /// <summary>What the primary shows, in words for an error message.</summary>
    public string Describe() =>
        ActivePid is null ? $"slot {Name} unused (wal_status {WalStatus ?? "unknown"})" : $"slot {Name} used by WAL sender {ActivePid} in state '{SenderState}'";

    /// <summary>The slot, or null when the primary has none of that name.</summary>
    public static async Task<ReplicationSlot?> ReadAsync(NpgsqlConnection primary, string slotName, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT s.active_pid, s.wal_status, r.state
            FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
            WHERE s.slot_name = $1
            """,
            primary);
        command.Parameters.Add(new NpgsqlParameter { Value = slotName });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new ReplicationSlot(
            slotName,
            reader.IsDBNull(0) ? null : reader.GetInt32(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2));
    }

    /// <inheritdoc cref="ReadAsync(NpgsqlConnection, string, CancellationToken)"/>
    public static async Task<ReplicationSlot?> ReadAsync(string primaryAdminConnectionString, string slotName, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ClusterDatabase.Unpooled(primaryAdminConnectionString));
        await connection.OpenAsync(cancellationToken);
        return await ReadAsync(connection, slotName, cancellationToken);
    }

    /// <summary>
    /// Drops the slot when it exists, so that it no longer keeps WAL and old rows on the primary. Its standby is
    /// stopped by then, but its WAL sender may take a moment to notice; one still there is terminated.
    /// </summary>
    /// <returns>True when a slot was dropped.</returns>
    public static async Task<bool> DropIfExistsAsync(
        string primaryAdminConnectionString, string slotName, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ClusterDatabase.Unpooled(primaryAdminConnectionString));
        await connection.OpenAsync(cancellationToken);
        var deadline = timeProvider.GetUtcNow() + TimeSpan.FromSeconds(10);
        while (true)
        {
            await using var terminate = new NpgsqlCommand(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL", connection);
            terminate.Parameters.Add(new NpgsqlParameter { Value = slotName });
            await terminate.ExecuteNonQueryAsync(cancellationToken);
            try
            {
                await using var drop = new NpgsqlCommand(
                    "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name = $1", connection);
                drop.Parameters.Add(new NpgsqlParameter { Value = slotName });
                return (long)(await drop.ExecuteScalarAsync(cancellationToken))! > 0;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectInUse && timeProvider.GetUtcNow() < deadline)
            {
                // The terminated WAL sender has not released the slot yet.
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeProvider, cancellationToken);
            }
        }
    }

    /// <summary>The slots named like a standby's (<c>widgetify_...</c>) that no WAL sender uses.</summary>
    public static async Task<IReadOnlyList<string>> ListUnusedAsync(string primaryAdminConnectionString, string prefix, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ClusterDatabase.Unpooled(primaryAdminConnectionString));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' AND active_pid IS NULL AND starts_with(slot_name, $1) ORDER BY slot_name",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        List<string> names = [];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
