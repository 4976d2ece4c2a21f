namespace Widgetify.PoolReview.Tests;

/// <summary>One real PostgreSQL for the history tests; each test takes a database of its own, so minutes never leak from
/// one test into the next.</summary>
public sealed class PoolHistoryDatabase : IAsyncLifetime
{
    private TestPostgres? postgres;

    public TestPostgres Postgres => postgres ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync() => postgres = await TestPostgres.StartAsync(30);

    public async Task DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }

    public Task<ScratchDatabase> NewDatabaseAsync() => ScratchDatabase.CreateAsync(Postgres);
}

[CollectionDefinition(Name)]
public sealed class PoolHistoryDatabaseGroup : ICollectionFixture<PoolHistoryDatabase>
{
    public const string Name = "pool-history-database";
}
