using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Api.RateLimiting;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.RateLimiting;

/// <summary>A server whose write rate limit no test reaches, so that only quotas refuse writes.</summary>
public sealed class QuotaServer : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    public WidgetifyServer Server => _dedicated!.Server;

    public TestPostgres Postgres => _dedicated!.Postgres;

    internal static Dictionary<string, string?> Settings { get; } = new(ApiFixture.NeverShed)
    {
        ["Widgetify:RateLimits:WritesPerSecond"] = "1000000",
        ["Widgetify:RateLimits:Burst"] = "1000000",
    };

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(settings: Settings);

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }
}

/// <summary>Per-tenant quotas of widgets and stored bytes, kept exactly in PostgreSQL, on real HTTP.</summary>
public sealed class QuotaTests(QuotaServer fixture) : IClassFixture<QuotaServer>
{
    private WidgetifyServer Server => fixture.Server;

    [Fact]
    public async Task Post_OverTheWidgetQuota_Returns409WithUsageAndLimit()
    {
        using var tenant = await TenantWithLimitsAsync(Server, maxWidgets: 3);
        for (var i = 0; i < 3; i++)
        {
            await tenant.Http.CreateWidgetAsync($"w{i}");
        }

        using var refused = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "one too many", kind = "counter" }));

        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.GetProperty("quota").GetString().ShouldBe("widgets");
        problem.GetProperty("usage").GetInt64().ShouldBe(3);
        problem.GetProperty("limit").GetInt64().ShouldBe(3);
        var detail = problem.GetProperty("detail").GetString()!;
        detail.ShouldContain("ask the service's operator to raise the quota");
        detail.ShouldNotContain("./widgetify"); // a tenant's answer names no operator command or setting
        detail.ShouldNotContain("Widgetify:");
        (await Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(3);
        using var anonymous = Server.CreateClient();
        Regex.IsMatch(await anonymous.GetStringAsync("/metrics"), "widgetify_rate_limit_rejections_total\\{[^}]*reason=\"quota_widgets\"").ShouldBeTrue("the 409 is counted by reason");
    }

    [Fact]
    public async Task Post_ConcurrentWritersAtTheEdge_OnlyOnePasses()
    {
        using var tenant = await TenantWithLimitsAsync(Server, maxWidgets: 10);
        for (var i = 0; i < 9; i++)
        {
            await tenant.Http.CreateWidgetAsync($"w{i}");
        }

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 20 }) { BaseAddress = Server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tenant.Key);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var response = await http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = $"racer {i}", kind = "counter" }));
            return response.StatusCode;
        }));

        statuses.Count(s => s == HttpStatusCode.Created).ShouldBe(1, string.Join(", ", statuses));
        statuses.Count(s => s == HttpStatusCode.Conflict).ShouldBe(19, string.Join(", ", statuses));
        (await Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(10);
        (await UsageAsync(Server, tenant.TenantId)).Widgets.ShouldBe(10);
    }

    [Fact]
    public async Task Put_GrowingOverTheBytesQuota_Returns409_ShrinkingPasses()
    {
        using var tenant = await TenantWithLimitsAsync(Server, maxStoredBytes: 300);
        var widget = await tenant.Http.CreateWidgetAsync("w", config: new { label = new string('a', 100) });

        using var grow = await PutAsync(tenant, widget, new string('b', 400));
        using var shrink = await PutAsync(tenant, widget, "small");

        var problem = await grow.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.GetProperty("quota").GetString().ShouldBe("stored_bytes");
        problem.GetProperty("limit").GetInt64().ShouldBe(300);
        shrink.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await UsageAsync(Server, tenant.TenantId)).ShouldBe(await CountedInTableAsync(tenant.TenantId));
    }

    [Fact]
    public async Task Delete_AtTheWidgetQuota_MakesRoomForTheNextWidget()
    {
        using var tenant = await TenantWithLimitsAsync(Server, maxWidgets: 1);
        var first = await tenant.Http.CreateWidgetAsync("first");
        using (var refused = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "second", kind = "counter" })))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        }

        using var deleted = await tenant.Http.DeleteAsync($"/api/widgets/{first.Id}");
        await tenant.Http.CreateWidgetAsync("second");

        deleted.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await UsageAsync(Server, tenant.TenantId)).ShouldBe(await CountedInTableAsync(tenant.TenantId));
    }

    [Fact]
    public async Task Quota_AfterARestart_CountsTheWidgetsStoredBefore()
    {
        using var tenant = await TenantWithLimitsAsync(Server, maxWidgets: 2);
        await tenant.Http.CreateWidgetAsync("a");
        await tenant.Http.CreateWidgetAsync("b");

        await using var restarted = await WidgetifyServer.StartAsync(fixture.Postgres.ConnectionString, QuotaServer.Settings);
        await restarted.Services.GetRequiredService<TenantLimitsCache>().RefreshAsync(default);
        using var http = restarted.CreateClient($"Bearer {tenant.Key}");
        using var refused = await http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "c", kind = "counter" }));

        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.GetProperty("usage").GetInt64().ShouldBe(2);
    }

    [Fact]
    public async Task Usage_WithoutOverrides_UsesTheSettingsDefaultsAboveTheDemoTenant()
    {
        using var tenant = await Server.CreateTenantAsync();
        await tenant.Http.CreateWidgetAsync();

        var limits = Server.Services.GetRequiredService<TenantLimitsCache>().For(tenant.TenantId);

        limits.Quota.ShouldBe(new Quota(100_000, 1L << 30));
        (await UsageAsync(Server, tenant.TenantId)).ShouldBe(await CountedInTableAsync(tenant.TenantId));
    }

    internal static async Task<TenantClient> TenantWithLimitsAsync(WidgetifyServer server, long? maxWidgets = null, long? maxStoredBytes = null)
    {
        var tenant = await server.CreateTenantAsync();
        await server.Services.GetRequiredService<TenantLimitsStore>().SetAsync(tenant.TenantId, new TenantLimits(null, null, maxWidgets, maxStoredBytes), default);
        await server.Services.GetRequiredService<TenantLimitsCache>().RefreshAsync(default);
        return tenant;
    }

    private static async Task<TenantUsage> UsageAsync(WidgetifyServer server, Guid tenantId) =>
        (await server.Services.GetRequiredService<TenantLimitsStore>().ReadAsync(tenantId, default))!.Value.Usage;

    /// <summary>What the usage should be, counted from the widgets themselves.</summary>
    private async Task<TenantUsage> CountedInTableAsync(Guid tenantId)
    {
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*), COALESCE(sum(widget_stored_bytes(name, config)), 0)::bigint FROM widgets WHERE tenant_id = $1", connection);
        command.Parameters.Add(new() { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new TenantUsage(reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<HttpResponseMessage> PutAsync(TenantClient tenant, WidgetDto widget, string label)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/widgets/{widget.Id}")
        {
            Content = WidgetHttp.Json(new { name = "w", kind = "counter", config = new { label } }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "*");
        return await tenant.Http.SendAsync(request);
    }
}
