namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>One PostgreSQL cluster and one Widgetify server shared by the test classes of the "api" collection;
/// each test isolates itself by creating its own tenant.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    public TestPostgres Postgres => _dedicated?.Postgres ?? throw new InvalidOperationException("Fixture not started.");

    public WidgetifyServer Server => _dedicated?.Server ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedApiServer : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
