namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>One PostgreSQL cluster and one Widgetify server shared by the test classes of the "api" collection;
/// each test isolates itself by creating its own tenant.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private TestPostgres? _postgres;
    private WidgetifyServer? _server;

    public TestPostgres Postgres => _postgres ?? throw new InvalidOperationException("Fixture not started.");

    public WidgetifyServer Server => _server ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync()
    {
        _postgres = await TestPostgres.StartAsync();
        _server = await WidgetifyServer.StartAsync(_postgres.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedApiServer : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
