using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Widgetify.Api.Auth;
using Widgetify.Api.Data;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Auth;

/// <summary>What an instance remembers of keys, on a real server and PostgreSQL: a bad key repeated costs one lookup, a
/// key that becomes valid is accepted at once, an expiring key is not trusted past its expiry, and last use is recorded
/// in batches. Refusals are remembered for 5 minutes and valid keys for 10, so a pass within the tests' bounds can only
/// come from the mechanism under test.</summary>
public sealed class ApiKeyCacheTests : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    private WidgetifyServer Server => _dedicated!.Server;

    public async Task InitializeAsync()
    {
        _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>(ApiFixture.NeverShed)
        {
            ["Widgetify:Api:ApiKeyCacheDuration"] = "00:10:00",
            ["Widgetify:Api:RejectedKeyCacheDuration"] = "00:05:00",
            ["Widgetify:Api:KeyUsageFlushInterval"] = "00:00:01",
        });
        var listener = Server.Services.GetRequiredService<Widgetify.Api.Notifications.NotificationListener>();
        await BoundedWait.UntilAsync(() => listener.IsListening, () => "not listening", "the instance listens for key changes");
    }

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [Fact]
    public async Task UnknownKey_Repeated_IsLookedUpOnceThenAnsweredFromMemory()
    {
        // Arrange
        var meters = Server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var lookups = new MetricCollector<long>(meters, AuthMetrics.MeterName, "widgetify.auth.lookups");
        using var hits = new MetricCollector<long>(meters, AuthMetrics.MeterName, "widgetify.auth.cache_hits");
        using var client = Server.CreateClient("Bearer " + ApiKey.Generate());

        // Act
        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync("/api/widgets");
            await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unknown");
        }

        // Assert
        lookups.GetMeasurementSnapshot().Select(m => m.Tags["widgetify.auth.result"]).ShouldBe(["unknown"]);
        hits.GetMeasurementSnapshot().Count(m => Equals(m.Tags["widgetify.auth.result"], "rejected")).ShouldBe(4);
    }

    [Fact]
    public async Task UnknownKey_ThenInsertedWithThatHash_IsAcceptedAtOnce()
    {
        // Arrange: the key is refused and remembered as unknown; then a row with its hash appears (as an import would
        // make it). The key cannot have been issued before: only the insert's notification can clear the refusal.
        var key = ApiKey.Generate();
        using var client = Server.CreateClient("Bearer " + key);
        (await client.GetAsync("/api/widgets")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var tenants = Server.Services.GetRequiredService<TenantStore>();
        var tenantId = await tenants.EnsureTenantAsync("t-" + Guid.NewGuid().ToString("N")[..16], CancellationToken.None);

        // Act
        await ExecuteAsync(
            $"INSERT INTO api_keys (id, tenant_id, key_hash, key_prefix) VALUES ('{Guid.CreateVersion7()}', '{tenantId}', " +
            $"'\\x{Convert.ToHexString(ApiKey.Hash(key))}', '{ApiKey.DisplayPrefix(key)}')");

        // Assert
        var last = HttpStatusCode.Unauthorized;
        await BoundedWait.UntilAsync(
            async () => (last = (await client.GetAsync("/api/widgets")).StatusCode) == HttpStatusCode.OK,
            () => $"status {last}", "the inserted key is accepted, well before the 5 min the refusal is remembered");
    }

    [Fact]
    public async Task ExpiredKey_Returns401SayingExpiredAndWhatToDo()
    {
        // Arrange
        var tenants = Server.Services.GetRequiredService<TenantStore>();
        var tenantId = await tenants.EnsureTenantAsync("t-" + Guid.NewGuid().ToString("N")[..16], CancellationToken.None);
        var (_, key) = await tenants.CreateKeyAsync(tenantId, ApiKeyRole.Tenant, DateTimeOffset.UtcNow.AddHours(-1), CancellationToken.None);
        using var client = Server.CreateClient("Bearer " + key);

        // Act
        using var response = await client.GetAsync("/api/widgets");

        // Assert
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "expired");
        problem.GetProperty("detail").GetString()!.ShouldContain("keys create");
    }

    [Fact]
    public async Task KeyExpiringSoon_ValidatedBeforeItsExpiry_IsRefusedOnceItExpiresDespiteTheLongCache()
    {
        // Arrange: valid for 2 s more, and cached when used (the cache lasts 10 min).
        var tenants = Server.Services.GetRequiredService<TenantStore>();
        var tenantId = await tenants.EnsureTenantAsync("t-" + Guid.NewGuid().ToString("N")[..16], CancellationToken.None);
        var (_, key) = await tenants.CreateKeyAsync(tenantId, ApiKeyRole.Tenant, DateTimeOffset.UtcNow.AddSeconds(2), CancellationToken.None);
        using var client = Server.CreateClient("Bearer " + key);
        (await client.GetAsync("/api/widgets")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Act + Assert
        var last = HttpStatusCode.OK;
        await BoundedWait.UntilAsync(
            async () => (last = (await client.GetAsync("/api/widgets")).StatusCode) == HttpStatusCode.Unauthorized,
            () => $"status {last}", "the key is refused after its expiry, not after the 10 min cache");
    }

    [Fact]
    public async Task ValidKey_Used_LastUsedAtIsWrittenByTheNextFlush()
    {
        // Arrange
        using var tenant = await Server.CreateTenantAsync();

        // Act
        (await tenant.Http.GetAsync("/api/widgets")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Assert: the flush runs every second in this server.
        var lastUsed = "";
        await BoundedWait.UntilAsync(
            async () => (lastUsed = await ScalarAsync($"SELECT last_used_at IS NOT NULL FROM api_keys WHERE tenant_id = '{tenant.TenantId}'")) == "True",
            () => lastUsed, "last_used_at is written by the usage flush");
    }

    private async Task ExecuteAsync(string sql) => await ScalarAsync(sql);

    private async Task<string> ScalarAsync(string sql)
    {
        await using var connection = await UnpooledConnection.OpenAsync(_dedicated!.Postgres.ConnectionString, "widgetify-test");
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }
}
