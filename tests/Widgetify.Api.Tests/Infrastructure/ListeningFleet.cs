using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Notifications;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>Two instances on one real PostgreSQL of their own, both listening for changes (the shared
/// <see cref="NotificationListener"/>) before a test begins: the fleet that the key and embed cache invalidation tests
/// make a change through one of and watch arrive at the other.</summary>
internal sealed class ListeningFleet : IAsyncDisposable
{
    private readonly TestPostgres _postgres;
    private readonly List<WidgetifyServer> _servers = [];

    private ListeningFleet(TestPostgres postgres) => _postgres = postgres;

    public string ConnectionString => _postgres.ConnectionString;

    public WidgetifyServer First => _servers[0];

    public WidgetifyServer Second => _servers[1];

    public static async Task<ListeningFleet> StartAsync(IDictionary<string, string?> settings)
    {
        var fleet = new ListeningFleet(await TestPostgres.StartAsync());
        try
        {
            for (var i = 0; i < 2; i++)
            {
                fleet._servers.Add(await WidgetifyServer.StartAsync(fleet._postgres, settings));
            }

            foreach (var server in fleet._servers)
            {
                var listener = server.Services.GetRequiredService<NotificationListener>();
                await BoundedWait.UntilAsync(() => listener.IsListening, () => "not listening", "the instance listens for changes");
            }

            return fleet;
        }
        catch
        {
            // xUnit does not dispose a class whose InitializeAsync threw: without this, each failed set-up left a
            // PostgreSQL server running after the test run (seen after a CI run whose servers failed to migrate).
            await fleet.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        await _postgres.DisposeAsync();
    }
}
