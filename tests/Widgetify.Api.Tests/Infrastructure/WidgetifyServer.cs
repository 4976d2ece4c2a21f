using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NpgsqlTypes;
using Widgetify.Api.Auth;
using Widgetify.Api.Consistency;
using Widgetify.Api.Data;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>The real Widgetify service on Kestrel, on a free loopback port, talking to a real PostgreSQL.</summary>
public sealed class WidgetifyServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WidgetifyServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The service on the cluster's database as in production: it serves as the runtime role (rows only) and
    /// migrates as the schema's owner.</summary>
    public static Task<WidgetifyServer> StartAsync(
        TestPostgres postgres, IDictionary<string, string?>? settings = null, Action<WebApplication>? mapTestEndpoints = null)
    {
        var withOwner = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Widgetify:Database:MigrationConnectionString"] = postgres.MigrationConnectionString,
        };
        return StartAsync(postgres.ConnectionString, withOwner, mapTestEndpoints);
    }

    /// <param name="connectionString">The PostgreSQL to use.</param>
    /// <param name="settings">Settings over the test defaults.</param>
    /// <param name="mapTestEndpoints">Maps endpoints only a test has, after Widgetify's own (same pipeline).</param>
    public static async Task<WidgetifyServer> StartAsync(
        string connectionString, IDictionary<string, string?>? settings = null, Action<WebApplication>? mapTestEndpoints = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        var configuration = new Dictionary<string, string?>
        {
            ["Widgetify:Database:ConnectionString"] = connectionString,
            ["Widgetify:Embed:ViewFlushInterval"] = "00:00:00.100",
            // No balancer in front: a stop need not wait for one to see readiness fail.
            ["Widgetify:Api:DrainDelay"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddWidgetify();
        var app = builder.Build();
        app.UseWidgetify();
        mapTestEndpoints?.Invoke(app);
        await app.Services.MigrateDatabaseAsync();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new WidgetifyServer(app, new Uri(address));
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A client with no credentials that sends <paramref name="authorization"/> verbatim (unvalidated).</summary>
    public HttpClient CreateClient(string authorization)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return client;
    }

    /// <summary>A <c>Widgetify-Consistency</c> value for <paramref name="position"/> signed with this deployment's secret, as
    /// a write of any of its instances would have handed it out.</summary>
    public string SignedToken(string position) =>
        Services.GetRequiredService<ConsistencyTokenSigner>().Sign(new ConsistencyToken(NpgsqlLogSequenceNumber.Parse(position)));

    /// <summary>How many widgets the tenant has in the database (not through the API).</summary>
    public Task<long> CountWidgetsAsync(Guid tenantId) =>
        Services.GetRequiredService<WidgetStore>().CountAsync(tenantId, CancellationToken.None);

    /// <summary>A new tenant with a fresh key, and a client that sends it.</summary>
    public async Task<TenantClient> CreateTenantAsync(ApiKeyRole role = ApiKeyRole.Tenant)
    {
        var tenants = Services.GetRequiredService<TenantStore>();
        var name = "t-" + Guid.NewGuid().ToString("N")[..16];
        var tenantId = await tenants.EnsureTenantAsync(name, CancellationToken.None);
        var key = await tenants.CreateKeyAsync(tenantId, role, CancellationToken.None);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return new TenantClient(tenantId, name, key, client);
    }

    /// <summary>Sends the tenant's requests until this instance remembers its key, for a test that must not reach the
    /// database to authenticate. One request is not enough: the key's creation is notified to the cache, and when that
    /// notification lands during the first lookup the answer is (rightly) not remembered.</summary>
    public async Task CacheKeyAsync(TenantClient tenant)
    {
        var cache = Services.GetRequiredService<ApiKeyCache>();
        var fingerprint = cache.Fingerprint(tenant.Key);
        for (var attempt = 0; !cache.TryGetValid(fingerprint, out _); attempt++)
        {
            if (attempt == 50)
            {
                throw new InvalidOperationException("The tenant's key was still not cached after 50 requests.");
            }

            // Any answer will do (a busy machine may shed it): the loop asks the cache, not the response.
            using var response = await tenant.Http.GetAsync("/api/widgets?limit=1");
        }
    }

    /// <summary>Stops the service gracefully, as Ctrl-C does.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A tenant, its API key and a client that authenticates with it.</summary>
public sealed record TenantClient(Guid TenantId, string Name, string Key, HttpClient Http) : IDisposable
{
    public void Dispose() => Http.Dispose();
}
