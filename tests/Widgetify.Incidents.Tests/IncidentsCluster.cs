using Widgetify.Incidents.Persistence;

namespace Widgetify.Incidents.Tests;

/// <summary>One PostgreSQL for the incident tests; each test gets its own database, so open incidents never leak
/// from one test into the next.</summary>
public sealed class IncidentsCluster : IAsyncLifetime
{
    private TestPostgres? _postgres;

    public TestPostgres Postgres => _postgres ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync() => _postgres = await TestPostgres.StartAsync(50);

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    public Task<ScratchDatabase> NewDatabaseAsync() => ScratchDatabase.CreateAsync(Postgres);

    public static IncidentStore Store(ScratchDatabase database) => new(database.DataSource);
}

[CollectionDefinition(Name)]
public sealed class IncidentsGroup : ICollectionFixture<IncidentsCluster>
{
    public const string Name = "Incidents";
}
