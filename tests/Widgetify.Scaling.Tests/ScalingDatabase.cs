using Npgsql;

namespace Widgetify.Scaling.Tests;

/// <summary>One real PostgreSQL for the tests that need the lease and decisions tables; each test takes a database of
/// its own (<see cref="CreateScratchAsync"/>), so tables never leak from one test into the next.</summary>
public sealed class ScalingDatabase : IAsyncLifetime
{
    private TestPostgres? postgres;

    public TestPostgres Postgres => postgres ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync() => postgres = await TestPostgres.StartAsync();

    public async Task DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }

    /// <summary>An empty database with the autoscaler's tables already created, as the app role sees it.</summary>
    public async Task<ScratchDatabase> CreateScratchAsync(bool withTables = true)
    {
        var scratch = await ScratchDatabase.CreateAsync(Postgres);
        if (withTables)
        {
            await ScalingSchema.EnsureCreatedAsync(scratch.DataSource, CancellationToken.None);
        }

        return scratch;
    }

    /// <summary>Moves the recorded lease's expiry into the past on the database clock: what waiting out the lease
    /// duration would do, without waiting.</summary>
    public static Task ExpireLeaseAsync(ScratchDatabase database) =>
        database.ExecuteAsync("UPDATE widgetify_scaling_leader SET expires_at = clock_timestamp() - interval '1 second'");

    /// <summary>Gives the lease to an instance that is not under test, valid for a minute.</summary>
    public static async Task StealLeaseAsync(ScratchDatabase database, string holderName)
    {
        await using var command = database.DataSource.CreateCommand(
            "UPDATE widgetify_scaling_leader SET holder_id = $1, holder_name = $2, expires_at = clock_timestamp() + interval '1 minute'");
        command.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid() });
        command.Parameters.Add(new NpgsqlParameter { Value = holderName });
        await command.ExecuteNonQueryAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ScalingDatabaseGroup : ICollectionFixture<ScalingDatabase>
{
    public const string Name = "scaling-database";
}
