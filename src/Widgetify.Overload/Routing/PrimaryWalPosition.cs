using Npgsql;
using NpgsqlTypes;

namespace Widgetify.Overload.Routing;

/// <summary>The primary's WAL insert position, <c>pg_current_wal_insert_lsn()</c>: what a write's consistency token is
/// (read in the write's own session after COMMIT), what standby lag is measured against (<see cref="ReadServerMonitor"/>)
/// and what a client's token is checked against (<see cref="PrimaryWalWatermark"/>). One statement, so that all three
/// mean the same position.</summary>
public static class PrimaryWalPosition
{
    /// <summary>Reads the position on <paramref name="connection"/>, a connection to the primary.</summary>
    public static async Task<NpgsqlLogSequenceNumber> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()", connection);
        return (NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Reads the position on a connection of <paramref name="primary"/> held for this read only.</summary>
    public static async Task<NpgsqlLogSequenceNumber> ReadAsync(NpgsqlDataSource primary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(primary);
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, cancellationToken);
    }
}
