using Npgsql;

namespace Widgetify.Bench.Detection;

/// <summary>
/// Closes incidents a stopped service left open. Every configuration shares the bench's database, and a service whose
/// alert fires while an incident is open joins that incident (keeping its earlier detection time) instead of opening
/// its own: without this, one configuration whose incident outlived the bench's wait would hide whether the next ones
/// open an incident at all. Runs before each configuration's service starts, when no service is running; the report
/// says how many it closed.
/// </summary>
internal static class LeftoverIncidents
{
    // The service's schema (Widgetify.Reliability's IncidentSchema); absent until the first service has migrated.
    private const string TableExists = "SELECT to_regclass('widgetify_incidents') IS NOT NULL";

    private const string CountOpen = "SELECT count(*)::int FROM widgetify_incidents WHERE resolved_at IS NULL";

    private const string CloseOpen =
        "UPDATE widgetify_incidents SET status = 'resolved', resolved_at = clock_timestamp(), updated_at = clock_timestamp() " +
        "WHERE resolved_at IS NULL";

    /// <returns>How many incidents were open (and are now closed).</returns>
    public static async Task<int> CloseAsync(string connectionString, CancellationToken cancellationToken)
    {
        // No pool: the bench waits for PostgreSQL to have no client backend between configurations.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = "widgetify-bench-incidents",
        }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand(TableExists, connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return 0;
            }
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var count = new NpgsqlCommand(CountOpen, connection, transaction);
        var open = (int)(await count.ExecuteScalarAsync(cancellationToken))!;
        if (open > 0)
        {
            await using var close = new NpgsqlCommand(CloseOpen, connection, transaction);
            await close.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return open;
    }
}
