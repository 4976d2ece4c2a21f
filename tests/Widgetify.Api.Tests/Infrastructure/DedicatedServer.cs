using Microsoft.AspNetCore.Builder;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>A PostgreSQL cluster and a Widgetify server on it, started together and stopped together (server first):
/// the shared fixture, and tests whose settings or database limits must not leak into anyone else's.</summary>
public sealed class DedicatedServer : IAsyncDisposable
{
    private DedicatedServer(TestPostgres postgres, WidgetifyServer server)
    {
        Postgres = postgres;
        Server = server;
    }

    public TestPostgres Postgres { get; }

    public WidgetifyServer Server { get; }

    public static async Task<DedicatedServer> StartAsync(
        int maxConnections = 100, IDictionary<string, string?>? settings = null, Action<WebApplication>? mapTestEndpoints = null)
    {
        var postgres = await TestPostgres.StartAsync(maxConnections);
        try
        {
            return new DedicatedServer(postgres, await WidgetifyServer.StartAsync(postgres, settings, mapTestEndpoints));
        }
        catch
        {
            await postgres.DisposeAsync(); // a server that failed to start must not leave its PostgreSQL running
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
