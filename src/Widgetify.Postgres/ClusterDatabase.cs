using Microsoft.Extensions.Logging;
using Npgsql;

namespace Widgetify.Postgres;

/// <summary>Talks to the server as the superuser: readiness probe and creation of the app role and database.</summary>
internal static class ClusterDatabase
{
    public const string AdminUser = "widgetify_admin";
    public const string AppUser = "widgetify";
    public const string AppDatabase = "widgetify";

    /// <summary>
    /// pg_ctl -w only says the postmaster reported "ready"; a real login proves the port, the password and
    /// pg_hba agree. Also used when attaching to a server another process may still be starting.
    /// </summary>
    public static async Task WaitUntilAcceptingAsync(string adminConnectionString, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL rejected the {AdminUser} login: pg-credentials.json does not match this cluster. " +
                    "Restore the file, or delete the data directory to create a new cluster.", ex);
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                // Not up yet (connection refused, or "the database system is starting up"): poll again.
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
            catch (NpgsqlException ex)
            {
                throw new TimeoutException($"PostgreSQL did not accept connections within {timeout}.", ex);
            }
        }
    }

    /// <summary>
    /// Creates the login role and its database when missing. Checked every start, so a crash between initdb
    /// and this step heals the next time.
    /// </summary>
    /// <returns>True when something was created.</returns>
    public static async Task<bool> EnsureAppRoleAndDatabaseAsync(
        string adminConnectionString, string appPassword, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(Unpooled(adminConnectionString));
        await connection.OpenAsync(cancellationToken);

        var created = false;
        if (!await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = $1", AppUser, cancellationToken))
        {
            // DDL takes no parameters. The password is URL-safe base64 (no quotes), escaped all the same.
            await ExecuteAsync(
                connection,
                $"CREATE ROLE {AppUser} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{appPassword.Replace("'", "''", StringComparison.Ordinal)}'",
                cancellationToken);
            created = true;
        }

        if (!await ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = $1", AppDatabase, cancellationToken))
        {
            await ExecuteAsync(connection, $"CREATE DATABASE {AppDatabase} OWNER {AppUser}", cancellationToken);
            created = true;
        }

        // Lets the app role see every session's state in pg_stat_activity (monitoring samples connections by state), and
        // nothing more; granting again is a no-op, so clusters made before this get it too.
        await ExecuteAsync(connection, $"GRANT pg_read_all_stats TO {AppUser}", cancellationToken);

        if (created)
        {
            Log.ProvisionedAppDatabase(logger, AppUser, AppDatabase);
        }

        return created;
    }

    /// <summary>A connection string for one of the cluster's roles on a loopback port.</summary>
    public static string BuildConnectionString(int port, string user, string password, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = user,
            Password = password,
            Database = database,
        }.ConnectionString;

    /// <summary>
    /// For the one-off queries of starting, checking and stopping servers: a pooled connection would stay open for
    /// minutes after, holding one of the server's max_connections for nothing.
    /// </summary>
    public static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    /// <summary>Closes the idle pooled connections of a server that stopped: a later server may reuse its port.</summary>
    public static void ClearPool(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        NpgsqlConnection.ClearPool(connection);
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
