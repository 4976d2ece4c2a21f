namespace Widgetify.Testing;

/// <summary>One real PostgreSQL for a test collection (derive a fixture from it and name it in an
/// <c>ICollectionFixture</c>); each test takes a database of its own (<see cref="NewDatabaseAsync"/>), so tables never
/// leak from one test into the next and no test waits for another cluster to start.</summary>
public abstract class SharedPostgres(int maxConnections = 100) : IAsyncLifetime
{
    private TestPostgres? postgres;

    public TestPostgres Postgres => postgres ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync() => postgres = await TestPostgres.StartAsync(maxConnections);

    public async Task DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }

    /// <summary>An empty database of the cluster, owned by the app role; dropped when disposed.</summary>
    public Task<ScratchDatabase> NewDatabaseAsync() => ScratchDatabase.CreateAsync(Postgres);
}
