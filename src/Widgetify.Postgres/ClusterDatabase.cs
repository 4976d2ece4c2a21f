using Microsoft.Extensions.Logging;
using Npgsql;

namespace Widgetify.Postgres;

/// <summary>Talks to the server as the superuser: readiness probe and creation of the roles and the app database.</summary>
internal static class ClusterDatabase
{
    public const string AdminUser = "widgetify_admin";
    public const string AppUser = "widgetify";
    public const string OwnerUser = "widgetify_owner";
    public const string ReplicationUser = "widgetify_replication";
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
                    $"PostgreSQL rejected the {AdminUser} login over its Unix socket (peer authentication, map {ClusterAccess.IdentMap}): " +
                    $"this OS user ({Environment.UserName}) is not in the data directory's pg_ident.conf, which Widgetify writes before " +
                    "starting the server. Run as root or as the user who started it.", ex);
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
    /// Creates the roles and the database when missing, and converts a cluster made before the role split (the runtime
    /// role owned every table, the superuser had a password). Checked every start of the primary, so a crash between
    /// initdb and this step heals the next time, and every statement is a no-op once done.
    /// </summary>
    /// <returns>True when the database was created.</returns>
    public static async Task<bool> EnsureRolesAndDatabaseAsync(
        string adminConnectionString, ClusterCredentials credentials, ILogger logger, CancellationToken cancellationToken)
    {
        var created = false;
        await using (var connection = new NpgsqlConnection(Unpooled(adminConnectionString)))
        {
            await connection.OpenAsync(cancellationToken);
            if (!await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = $1", OwnerUser, cancellationToken))
            {
                // No login: only a session that is a member (the superuser over the socket) can become it, with SET ROLE.
                await ExecuteAsync(connection, $"CREATE ROLE {OwnerUser} NOLOGIN", cancellationToken);
            }

            await EnsureLoginAsync(connection, AppUser, "NOREPLICATION", credentials.AppPassword, cancellationToken);
            await EnsureLoginAsync(connection, ReplicationUser, "REPLICATION", credentials.ReplicationPassword!, cancellationToken);

            if (!await ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = $1", AppDatabase, cancellationToken))
            {
                await ExecuteAsync(connection, $"CREATE DATABASE {AppDatabase} OWNER {OwnerUser}", cancellationToken);
                created = true;
            }

            await ExecuteAsync(connection, $"""
                ALTER DATABASE {AppDatabase} OWNER TO {OwnerUser};
                REVOKE ALL ON DATABASE {AppDatabase} FROM PUBLIC;
                GRANT CONNECT, TEMPORARY ON DATABASE {AppDatabase} TO {AppUser};
                -- Every session's state and transaction start in pg_stat_activity (monitoring counts the sessions of other
                -- roles too: the superuser's, a leaking client's), and nothing more: pg_monitor, which earlier versions
                -- granted, adds pg_read_all_settings (every setting, the superuser-only ones included) and
                -- pg_stat_scan_tables (functions that lock and scan tables), which nothing the service runs needs.
                GRANT pg_read_all_stats TO {AppUser};
                REVOKE pg_monitor FROM {AppUser};
                -- A cluster made before the split logged its superuser in with a password, kept in pg-credentials.json.
                ALTER ROLE {AdminUser} PASSWORD NULL;
                """, cancellationToken);
        }

        await using (var database = new NpgsqlConnection(Unpooled(new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = AppDatabase }.ConnectionString)))
        {
            await database.OpenAsync(cancellationToken);
            await ExecuteAsync(database, PrivilegesSql, cancellationToken);
        }

        if (created)
        {
            Log.ProvisionedAppDatabase(logger, AppUser, AppDatabase);
        }

        return created;
    }

    /// <summary>
    /// In the app database: the owner owns the schema and everything in it (what the runtime role owned before the split
    /// is handed over); the runtime role may use the schema and read and write rows, but not create, alter or drop; tables
    /// and sequences the owner creates later (every migration's) get the same grants by default.
    /// </summary>
    internal const string PrivilegesSql = $"""
        ALTER SCHEMA public OWNER TO {OwnerUser};
        REVOKE ALL ON SCHEMA public FROM PUBLIC;
        REVOKE ALL ON SCHEMA public FROM {AppUser};
        GRANT USAGE ON SCHEMA public TO {AppUser};
        DO $$
        DECLARE item record;
        BEGIN
            -- Sequences of serial and identity columns move with their table, and may not be moved alone.
            FOR item IN
                SELECT c.oid::regclass AS name FROM pg_class c
                WHERE c.relnamespace = 'public'::regnamespace AND c.relowner <> '{OwnerUser}'::regrole
                  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') AND c.relkind = 'S')
            LOOP
                EXECUTE format('ALTER TABLE %s OWNER TO {OwnerUser}', item.name);
            END LOOP;
            FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                        WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> '{OwnerUser}'::regrole
            LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO {OwnerUser}', item.name);
            END LOOP;
            -- Row privileges for the tables handed over above and any the default privileges below missed: only where the
            -- runtime role may not even read. Not a blanket GRANT ... ON ALL TABLES: this runs at every start and every
            -- attach (each instance of a 'cluster up' fleet, a 'keys' command), and would give back the writes the owner
            -- took away on purpose (the fleet's registry of standbys, written by its coordinator alone).
            FOR item IN
                SELECT c.oid::regclass AS name FROM pg_class c
                WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                  AND NOT has_any_column_privilege('{AppUser}', c.oid, 'SELECT')
            LOOP
                EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO {AppUser}', item.name);
            END LOOP;
        END $$;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {AppUser};
        ALTER DEFAULT PRIVILEGES FOR ROLE {OwnerUser} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {AppUser};
        ALTER DEFAULT PRIVILEGES FOR ROLE {OwnerUser} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {AppUser};
        """;

    /// <summary>Creates a login role, or makes an existing one exactly that: not superuser, cannot create databases or
    /// roles, the password of the file (DDL takes no parameters; the password is URL-safe base64, escaped all the same).</summary>
    private static async Task EnsureLoginAsync(
        NpgsqlConnection connection, string role, string replication, string password, CancellationToken cancellationToken)
    {
        var verb = await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = $1", role, cancellationToken) ? "ALTER" : "CREATE";
        await ExecuteAsync(
            connection,
            $"{verb} ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS {replication} PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'",
            cancellationToken);
    }

    /// <summary>The superuser on the server's Unix socket: peer authentication, no password (<see cref="ClusterAccess"/>).</summary>
    public static string BuildAdminConnectionString(string socketDirectory, int port, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = socketDirectory,
            Port = port,
            Username = AdminUser,
            Database = database,
        }.ConnectionString;

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
