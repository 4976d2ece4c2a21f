using Npgsql;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>The connection limits a PostgreSQL server enforces, read from its live settings.</summary>
/// <param name="MaxConnections">The server's <c>max_connections</c>.</param>
/// <param name="SuperuserReservedConnections">The server's <c>superuser_reserved_connections</c>: slots only superusers may take.</param>
/// <param name="ReservedConnections">The server's <c>reserved_connections</c> (PostgreSQL 16 and later; 0 before): slots only
/// roles with <c>pg_use_reserved_connections</c> may take.</param>
public sealed record ServerConnectionLimits(int MaxConnections, int SuperuserReservedConnections, int ReservedConnections)
{
    // reserved_connections arrived in PostgreSQL 16: missing_ok turns its absence on 15 into NULL, which counts as 0.
    internal const string Sql = """
        SELECT current_setting('max_connections')::int,
               current_setting('superuser_reserved_connections')::int,
               COALESCE(current_setting('reserved_connections', true), '0')::int
        """;

    /// <summary>The connections an ordinary role can open once <paramref name="reservedForOtherClients"/> are left for
    /// others: <c>max_connections - superuser_reserved_connections - reserved_connections - reservedForOtherClients</c>,
    /// never negative.</summary>
    /// <param name="reservedForOtherClients">Connections kept for clients that are not Widgetify.</param>
    /// <returns>The budget shared by every Widgetify instance.</returns>
    public int BudgetFor(int reservedForOtherClients) =>
        Math.Max(0, MaxConnections - SuperuserReservedConnections - ReservedConnections - reservedForOtherClients);

    /// <summary>Reads the limits through <paramref name="connection"/>, inside <paramref name="transaction"/> when given.</summary>
    public static async Task<ServerConnectionLimits> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ServerConnectionLimits(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
    }
}
