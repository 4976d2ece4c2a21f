using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Data;

/// <summary>Migrations on fresh databases of the shared cluster (one per test), as several instances would run them.</summary>
[Collection(SharedApiServer.Name)]
public sealed class MigrationRunnerTests(ApiFixture fixture)
{
    private static MigrationRunner NewRunner(ScratchDatabase database) => new(database.DataSource, NullLogger<MigrationRunner>.Instance);

    [Fact]
    public void Known_Migrations_AreOrderedWithDistinctVersions()
    {
        var versions = MigrationRunner.Known.Select(m => m.Version).ToList();

        versions.ShouldNotBeEmpty();
        versions.ShouldBe(versions.Order().Distinct());
        MigrationRunner.LatestVersion.ShouldBe(versions[^1]);
        MigrationRunner.Known.ShouldAllBe(m => m.Checksum.Length == 64);
    }

    [Fact]
    public async Task MigrateAsync_RuntimeRoleOnMigratedDatabase_AppliesNothingWithoutNeedingCreate()
    {
        // The cluster's own database, migrated by the fixture's server as the owner; the runtime role may not CREATE.
        await using var runtime = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);

        var applied = await new MigrationRunner(runtime, NullLogger<MigrationRunner>.Instance).MigrateAsync();

        applied.ShouldBe(0);
    }

    [Fact]
    public async Task MigrateAsync_RuntimeRoleWithMigrationsPending_ThrowsNamingTheMigrationSetting()
    {
        // A database as the cluster makes its own: the owner owns the schema, the runtime role may only connect.
        var name = "owned_" + Guid.NewGuid().ToString("N")[..12];
        var admin = new NpgsqlConnectionStringBuilder(fixture.Postgres.Cluster.AdminConnectionString) { Pooling = false };
        await ExecuteAsync(admin.ConnectionString, $"CREATE DATABASE {name} OWNER widgetify_owner");
        try
        {
            await ExecuteAsync(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name }.ConnectionString,
                "ALTER SCHEMA public OWNER TO widgetify_owner; REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO widgetify");
            await using var runtime = NpgsqlDataSource.Create(
                new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Database = name, Pooling = false }.ConnectionString);

            var error = await Should.ThrowAsync<InvalidOperationException>(
                () => new MigrationRunner(runtime, NullLogger<MigrationRunner>.Instance).MigrateAsync());

            error.Message.ShouldContain("Widgetify:Database:MigrationConnectionString");
            error.Message.ShouldContain("permission denied");
        }
        finally
        {
            await ExecuteAsync(admin.ConnectionString, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
    }

    [Fact]
    public async Task MigrateAsync_FreshDatabase_AppliesEveryMigration()
    {
        await using var database = await ScratchDatabase.CreateAsync(fixture.Postgres);

        var applied = await NewRunner(database).MigrateAsync();

        applied.ShouldBe(MigrationRunner.Known.Count);
        (await database.ScalarAsync<int>("SELECT max(version) FROM schema_migrations")).ShouldBe(MigrationRunner.LatestVersion);
        (await database.ScalarAsync<long>("SELECT count(*) FROM widgets")).ShouldBe(0);
    }

    [Fact]
    public async Task MigrateAsync_EightConcurrentRunners_EachMigrationAppliedExactlyOnce()
    {
        await using var database = await ScratchDatabase.CreateAsync(fixture.Postgres);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => NewRunner(database).MigrateAsync())));

        results.Sum().ShouldBe(MigrationRunner.Known.Count, "between them the runners apply each migration once");
        (await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations")).ShouldBe(MigrationRunner.Known.Count);
        (await database.ScalarAsync<long>("SELECT count(DISTINCT version) FROM schema_migrations")).ShouldBe(MigrationRunner.Known.Count);
        (await database.ScalarAsync<bool>("SELECT pg_try_advisory_lock(" + MigrationRunner.AdvisoryLockKey + ")"))
            .ShouldBeTrue("every runner released the advisory lock");
    }

    [Fact]
    public async Task MigrateAsync_AlreadyMigrated_AppliesNothing()
    {
        await using var database = await ScratchDatabase.CreateAsync(fixture.Postgres);
        await NewRunner(database).MigrateAsync();

        var applied = await NewRunner(database).MigrateAsync();

        applied.ShouldBe(0);
        (await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations")).ShouldBe(MigrationRunner.Known.Count);
    }

    [Fact]
    public async Task MigrateAsync_TamperedChecksum_ThrowsNamingTheMigration()
    {
        await using var database = await ScratchDatabase.CreateAsync(fixture.Postgres);
        await NewRunner(database).MigrateAsync();
        var first = MigrationRunner.Known[0];
        await database.ExecuteAsync($"UPDATE schema_migrations SET checksum = 'x' WHERE version = {first.Version}");

        var exception = await Should.ThrowAsync<InvalidOperationException>(() => NewRunner(database).MigrateAsync());

        exception.Message.ShouldContain(first.Name);
        exception.Message.ShouldContain("checksum");
    }

    [Fact]
    public async Task MigrateAsync_AfterFailure_ReleasesTheLock()
    {
        await using var database = await ScratchDatabase.CreateAsync(fixture.Postgres);
        await NewRunner(database).MigrateAsync();
        await database.ExecuteAsync("UPDATE schema_migrations SET checksum = 'x'");
        await Should.ThrowAsync<InvalidOperationException>(() => NewRunner(database).MigrateAsync());
        await database.ExecuteAsync("DELETE FROM schema_migrations");
        await database.ExecuteAsync("DROP TABLE widgetify_consistency_secret, poll_option_votes, poll_votes, widget_activity_hourly, tenant_usage, tenant_limits, idempotency_keys, widgets, api_keys, tenants");
        await database.ExecuteAsync("DROP FUNCTION widgetify_api_keys_notify(), tenant_usage_track, widget_stored_bytes, widgetify_widgets_notify(), widgetify_poll_votes_notify(), widgetify_poll_votes_keep_their_option()");

        var applied = await NewRunner(database).MigrateAsync().WaitAsync(TimeSpan.FromSeconds(30));

        applied.ShouldBe(MigrationRunner.Known.Count, "a failed run must not leave the advisory lock held");
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
