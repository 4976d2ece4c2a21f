using System.Runtime.Versioning;
using System.Text.Json;
using Npgsql;

namespace Widgetify.Postgres.Tests;

/// <summary>The roles of the embedded cluster: the runtime role reads and writes rows and nothing more, the owner owns
/// the schema, replication streams without being superuser, the superuser has no password and logs in over the socket.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class ClusterDatabaseTests
{
    private const string Table = "CREATE TABLE gadgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)";

    [Theory]
    [InlineData("DROP TABLE gadgets")]
    [InlineData("CREATE TABLE intruder (id int)")]
    [InlineData("ALTER TABLE gadgets ADD COLUMN secret text")]
    [InlineData("TRUNCATE gadgets")]
    [InlineData("SELECT rolpassword FROM pg_authid")]
    [InlineData("CREATE ROLE intruder SUPERUSER")]
    [InlineData("SET ROLE widgetify_owner")]
    public async Task RuntimeRole_SchemaChangeOrSecrets_PermissionDenied(string sql)
    {
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());
        await Sql.ExecuteAsync(cluster.MigrationConnectionString, Table);

        var error = await Should.ThrowAsync<PostgresException>(() => Sql.ExecuteAsync(cluster.AppConnectionString, sql));

        error.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, error.MessageText);
    }

    [Fact]
    public async Task RuntimeRole_TableAMigrationAddsLater_ReadsAndWritesItsRows()
    {
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());

        // After the cluster's grants were made, as a migration would: covered by the owner's default privileges.
        await Sql.ExecuteAsync(cluster.MigrationConnectionString, Table);
        await Sql.ExecuteAsync(cluster.AppConnectionString, "INSERT INTO gadgets (name) VALUES ('a'), ('b')");
        await Sql.ExecuteAsync(cluster.AppConnectionString, "UPDATE gadgets SET name = 'c' WHERE name = 'b'");
        await Sql.ExecuteAsync(cluster.AppConnectionString, "DELETE FROM gadgets WHERE name = 'a'");

        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT string_agg(name, ',') FROM gadgets")).ShouldBe("c");
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT tableowner FROM pg_tables WHERE tablename = 'gadgets'")).ShouldBe("widgetify_owner");
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'widgetify_admin' OR backend_type <> 'client backend'"))
            .ShouldNotBe("0", "pg_read_all_stats lets monitoring see every session, not only its own");
    }

    [Fact]
    public async Task EnsureRolesAndDatabase_AgainOnAnAttach_KeepsTheWritesTheOwnerTookBack()
    {
        // Arrange: a table the owner made read-only for the runtime role, as 'cluster up' makes its registry of standbys.
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());
        await Sql.ExecuteAsync(cluster.MigrationConnectionString, Table + "; REVOKE INSERT, UPDATE, DELETE ON gadgets FROM widgetify");

        // Act: what every process attaching to the running server runs (each instance of a fleet, a 'keys' command).
        await ClusterDatabase.EnsureRolesAndDatabaseAsync(
            cluster.AdminConnectionString, ClusterCredentials.TryLoad(directory.CredentialsFile)!, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);

        // Assert: still readable, still not writable.
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT count(*) FROM gadgets")).ShouldBe("0");
        (await Should.ThrowAsync<PostgresException>(() => Sql.ExecuteAsync(cluster.AppConnectionString, "INSERT INTO gadgets (name) VALUES ('x')")))
            .SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Fact]
    public async Task Roles_AsCreated_OnlyTheSuperuserIsSuperuserAndItHasNoPassword()
    {
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());

        var roles = await Sql.ScalarAsync(
            cluster.AdminConnectionString,
            """
            SELECT string_agg(format('%s:%s:%s:%s:%s', rolname, rolsuper, rolcanlogin, rolreplication, rolpassword IS NOT NULL), ' ' ORDER BY rolname)
            FROM pg_authid WHERE rolname LIKE 'widgetify%'
            """);

        // name:superuser:login:replication:has a password
        roles.ShouldBe("widgetify:f:t:f:t widgetify_admin:t:t:t:f widgetify_owner:f:f:f:f widgetify_replication:f:t:t:t");
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT pg_has_role('widgetify', 'widgetify_owner', 'MEMBER')")).ShouldBe("False");
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT pg_has_role('widgetify', 'pg_read_all_stats', 'MEMBER')")).ShouldBe("True");
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT pg_has_role('widgetify', 'pg_monitor', 'MEMBER')")).ShouldBe("False");
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT pg_has_role('widgetify', 'pg_read_all_settings', 'MEMBER')")).ShouldBe("False");
        File.GetUnixFileMode(directory.PgData).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Theory]
    [InlineData(ClusterDatabase.AdminUser, "postgres")]
    [InlineData(ClusterDatabase.ReplicationUser, "widgetify")]
    public async Task Login_OverTcpAsSuperuserOrReplicationRole_Rejected(string user, string database)
    {
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());
        var credentials = ClusterCredentials.TryLoad(directory.CredentialsFile)!;
        var password = user == ClusterDatabase.ReplicationUser ? credentials.ReplicationPassword! : "anything";

        var error = await Should.ThrowAsync<PostgresException>(
            () => Sql.ExecuteAsync(ClusterDatabase.BuildConnectionString(cluster.Port, user, password, database), "SELECT 1"));

        error.SqlState.ShouldBe(PostgresErrorCodes.InvalidAuthorizationSpecification, error.MessageText);
    }

    [Fact]
    public async Task StartAsync_ClusterMadeBeforeTheRoleSplit_ConvertsOwnershipPrivilegesAndCredentials()
    {
        await using var directory = new TempClusterDirectory();
        string appPassword;
        await using (var made = await PostgresCluster.StartAsync(directory.Options()))
        {
            appPassword = ClusterCredentials.TryLoad(directory.CredentialsFile)!.AppPassword;
            await MakeItLikeAnOlderVersionAsync(made);
        }

        await File.WriteAllTextAsync(directory.CredentialsFile, JsonSerializer.Serialize(new { adminPassword = "old-admin-pw", appPassword }));
        await File.WriteAllTextAsync(Path.Combine(directory.PgData, "pg_hba.conf"), "host all all 127.0.0.1/32 scram-sha-256\n");

        await using var cluster = await PostgresCluster.StartAsync(directory.Options());

        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT name FROM legacy")).ShouldBe("kept");
        await Sql.ExecuteAsync(cluster.AppConnectionString, "INSERT INTO legacy (name) VALUES ('new')");
        (await Should.ThrowAsync<PostgresException>(() => Sql.ExecuteAsync(cluster.AppConnectionString, "DROP TABLE legacy")))
            .SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'widgetify'")).ShouldBe("widgetify_owner");
        (await Sql.ScalarAsync(cluster.MigrationConnectionString, "SELECT tableowner FROM pg_tables WHERE tablename = 'legacy'")).ShouldBe("widgetify_owner");
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'widgetify_admin'")).ShouldBe("True");
        await Should.ThrowAsync<PostgresException>(
            () => Sql.ExecuteAsync(ClusterDatabase.BuildConnectionString(cluster.Port, ClusterDatabase.AdminUser, "old-admin-pw", "postgres"), "SELECT 1"));
        var text = await File.ReadAllTextAsync(directory.CredentialsFile);
        text.ShouldNotContain("adminPassword");
        text.ShouldNotContain("old-admin-pw");
        text.ShouldContain("replicationPassword");
        File.GetUnixFileMode(directory.CredentialsFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task StartAsync_RuntimeRoleGrantedPgMonitorByAnEarlierVersion_KeepsOnlyReadAllStats()
    {
        // Arrange: what versions up to issue 13's audit granted the runtime role.
        await using var directory = new TempClusterDirectory();
        await using (var made = await PostgresCluster.StartAsync(directory.Options()))
        {
            await Sql.ExecuteAsync(made.AdminConnectionString, "REVOKE pg_read_all_stats FROM widgetify; GRANT pg_monitor TO widgetify");
        }

        // Act
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());

        // Assert: no superuser-only setting readable any more; other roles' sessions still visible.
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT pg_has_role('widgetify', 'pg_monitor', 'MEMBER')")).ShouldBe("False");
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT pg_has_role('widgetify', 'pg_read_all_stats', 'MEMBER')")).ShouldBe("True");
        (await Should.ThrowAsync<PostgresException>(() => Sql.ScalarAsync(cluster.AppConnectionString, "SELECT current_setting('data_directory')")))
            .SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        await using var other = new NpgsqlConnection(cluster.AdminConnectionString);
        await other.OpenAsync();
        await using (var begin = new NpgsqlCommand("BEGIN; SELECT 1", other))
        {
            await begin.ExecuteNonQueryAsync();
        }

        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'widgetify_admin' AND xact_start IS NOT NULL"))
            .ShouldNotBe("0", "monitoring counts other roles' open transactions");
    }

    /// <summary>What the version before the role split left: the app role owns the database and its tables, the superuser
    /// has a password, and neither the owner nor the replication role exists.</summary>
    private static async Task MakeItLikeAnOlderVersionAsync(PostgresCluster cluster)
    {
        var appDatabase = new NpgsqlConnectionStringBuilder(cluster.AdminConnectionString) { Database = "widgetify" }.ConnectionString;
        await Sql.ExecuteAsync(cluster.AdminConnectionString, "ALTER DATABASE widgetify OWNER TO widgetify; ALTER ROLE widgetify_admin PASSWORD 'old-admin-pw'");
        await Sql.ExecuteAsync(appDatabase, """
            ALTER SCHEMA public OWNER TO pg_database_owner;
            GRANT USAGE ON SCHEMA public TO PUBLIC;
            SET ROLE widgetify;
            CREATE TABLE legacy (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
            INSERT INTO legacy (name) VALUES ('kept');
            RESET ROLE;
            DROP OWNED BY widgetify_owner;
            """);
        await Sql.ExecuteAsync(cluster.AdminConnectionString, "DROP ROLE widgetify_owner; DROP ROLE widgetify_replication; REVOKE pg_monitor FROM widgetify");
    }

    [Fact]
    public async Task StartAsync_DataDirectoryOpenedToItsGroup_IsOwnerOnlyAgain()
    {
        await using var directory = new TempClusterDirectory();
        await using (await PostgresCluster.StartAsync(directory.Options()))
        {
        }

        // PostgreSQL itself accepts 0750 (group read access); Widgetify's data stays the server account's alone.
        File.SetUnixFileMode(directory.PgData, (UnixFileMode)0b111_101_000);

        await using var cluster = await PostgresCluster.StartAsync(directory.Options());

        File.GetUnixFileMode(directory.PgData).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public void SocketDirectory_RootTooDeepForASocketPath_IsAShortFolderOfItsOwn()
    {
        var shallow = new ClusterLayout("/srv/widgetify");
        var deep = new ClusterLayout("/srv/" + new string('d', 100));

        shallow.SocketDirectory.ShouldBe("/srv/widgetify/run");
        Path.Combine(deep.SocketDirectory, ".s.PGSQL.65535.lock").Length.ShouldBeLessThanOrEqualTo(107);
        deep.SocketDirectory.ShouldNotBe(new ClusterLayout("/srv/" + new string('e', 100)).SocketDirectory);
    }
}
