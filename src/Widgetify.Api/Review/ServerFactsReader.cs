using System.Net;
using Npgsql;
using Widgetify.Overload.PoolGovernance;
using Widgetify.PoolReview.Rules;

namespace Widgetify.Api.Review;

/// <summary>Asks one live server, in one round trip, what the review judges: its connection limits, who else is
/// connected, its timeouts and TLS, and (on the primary) how many instances hold a lease in the connection budget.</summary>
internal static class ServerFactsReader
{
    // Other clients: client backends that are neither Widgetify's pools ('widgetify', 'widgetify-probe', the notification listener
    // 'widgetify-listener', which the budget counts as the instance's own ...), nor its control connections ('<instance>-control'),
    // nor this session. The lease count is read
    // only when the table exists (a server no instance has run against has none), through query_to_xml, so that one
    // statement can name a table that may be missing: the CASE evaluates it only when to_regclass found it.
    private static readonly string Sql = $"""
        SELECT current_setting('max_connections')::int,
               current_setting('superuser_reserved_connections')::int,
               COALESCE(current_setting('reserved_connections', true), '0')::int,
               (SELECT count(*)::int FROM pg_stat_activity
                 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                   AND coalesce(application_name, '') <> $1
                   AND left(coalesce(application_name, ''), length($1) + 1) <> $1 || '-'
                   AND coalesce(application_name, '') NOT LIKE '%-control'),
               COALESCE((SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'), 0),
               COALESCE((SELECT setting::bigint FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'), 0),
               COALESCE((SELECT setting::bigint FROM pg_settings WHERE name = 'idle_session_timeout'), 0),
               current_setting('ssl') = 'on',
               CASE WHEN to_regclass('{LeaseTableName}') IS NULL THEN NULL
                    ELSE (xpath('/row/n/text()', query_to_xml(
                          'SELECT count(*) AS n FROM {LeaseTableName} WHERE expires_at >= clock_timestamp()', false, true, '')))[1]::text::int
               END
        """;

    /// <summary>The connection budget's lease table (<c>Overload/PoolGovernance/LeaseTable</c>).</summary>
    internal const string LeaseTableName = PoolGovernor.LeaseTableName;

    /// <summary>Reads <paramref name="server"/>'s facts and, when it has the lease table, the instances leased now.</summary>
    /// <exception cref="NpgsqlException">The server could not be reached or refused the query.</exception>
    public static async Task<(ServerFacts Facts, int? LeasedInstances)> ReadAsync(
        string server, string connectionString, string applicationName, CancellationToken cancellationToken)
    {
        // A one-off client like psql: one connection, outside the budget, under a name the other-clients count leaves out.
        var csb = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName + "-review", MaxPoolSize = 1, Pooling = false };
        await using var connection = new NpgsqlConnection(csb.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(Sql, connection) { Parameters = { new() { Value = applicationName } } };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var facts = new ServerFacts
        {
            Server = server,
            Address = $"{csb.Host}:{csb.Port}",
            MaxConnections = reader.GetInt32(0),
            SuperuserReservedConnections = reader.GetInt32(1),
            ReservedConnections = reader.GetInt32(2),
            OtherClients = reader.GetInt32(3),
            StatementTimeoutMs = reader.GetInt64(4),
            IdleInTransactionSessionTimeoutMs = reader.GetInt64(5),
            IdleSessionTimeoutMs = reader.GetInt64(6),
            Ssl = reader.GetBoolean(7),
            CpuCores = IsThisMachine(csb.Host) ? Environment.ProcessorCount : null,
        };
        return (facts, await reader.IsDBNullAsync(8, cancellationToken) ? null : reader.GetInt32(8));
    }

    /// <summary>A server on a loopback address runs on this machine, whose cores are known; elsewhere they are not.</summary>
    private static bool IsThisMachine(string? host) =>
        host is not null && (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address)));
}
