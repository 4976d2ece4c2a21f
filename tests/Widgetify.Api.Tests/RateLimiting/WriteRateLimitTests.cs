using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Auth;
using Widgetify.Api.Data;
using Widgetify.Api.RateLimiting;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.RateLimiting;

/// <summary>A server with a small write bucket (5 writes, 1 more a second), so that a test meets it within a few requests;
/// each test has its own tenant.</summary>
public sealed class RateLimitedServer : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    public WidgetifyServer Server => _dedicated!.Server;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(
        settings: new Dictionary<string, string?>(ApiFixture.NeverShed)
        {
            ["Widgetify:RateLimits:WritesPerSecond"] = "1",
            ["Widgetify:RateLimits:Burst"] = "5",
            ["Widgetify:RateLimits:LimitsRefreshInterval"] = "00:00:00.100",
        });

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }
}

/// <summary>The per-key write rate limit on real HTTP and a real PostgreSQL.</summary>
public sealed class WriteRateLimitTests(RateLimitedServer fixture) : IClassFixture<RateLimitedServer>
{
    private WidgetifyServer Server => fixture.Server;

    [Fact]
    public async Task Post_UnderTheLimit_Returns201WithRateLimitFields()
    {
        using var tenant = await Server.CreateTenantAsync();

        using var response = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "first", kind = "counter" }));

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        Field(response, "RateLimit-Policy").ShouldBe("\"writes\";q=5;w=5");
        Field(response, "RateLimit").ShouldBe("\"writes\";r=4;t=1");
    }

    [Fact]
    public async Task Post_OverTheLimit_Returns429ProblemWithRetryAfterAndFields()
    {
        using var tenant = await Server.CreateTenantAsync();

        var (granted, refused) = await WriteUntilRefusedAsync(tenant);

        using (refused)
        {
            granted.ShouldBeGreaterThanOrEqualTo(5, "the burst is granted first");
            var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
            refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBe(1);
            Field(refused, "RateLimit-Policy").ShouldBe("\"writes\";q=5;w=5");
            Field(refused, "RateLimit").ShouldStartWith("\"writes\";r=0;t=");
            var detail = problem.GetProperty("detail").GetString()!;
            detail.ShouldContain("1 writes per second with bursts of 5");
            detail.ShouldContain($"If tenant '{tenant.Name}' needs more, the service's operator can raise its limit.");
            detail.ShouldNotContain("./widgetify"); // a tenant's answer names no operator command or setting
            detail.ShouldNotContain("Widgetify:");
        }

        (await Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(granted, "a refused write writes nothing");
        using var anonymous = Server.CreateClient();
        await BoundedWait.UntilAsync(async () => Regex.IsMatch(await anonymous.GetStringAsync("/metrics"), "widgetify_rate_limit_rejections_total\\{[^}]*reason=\"rate\""),
            () => "no rejections series", "the 429 is counted by reason");
    }

    [Fact]
    public async Task Get_AfterTheWriteLimitIsUsedUp_IsNeverLimited()
    {
        using var tenant = await Server.CreateTenantAsync();
        var (_, refused) = await WriteUntilRefusedAsync(tenant);
        refused.Dispose();

        for (var i = 0; i < 20; i++)
        {
            using var read = await tenant.Http.GetAsync("/api/widgets?limit=1");
            read.StatusCode.ShouldBe(HttpStatusCode.OK);
            read.Headers.Contains("RateLimit").ShouldBeFalse("reads are governed by admission control, not the write limit");
        }
    }

    [Fact]
    public async Task Post_TwoKeysOfOneTenant_EachHasItsOwnBucket()
    {
        using var tenant = await Server.CreateTenantAsync();
        var (_, refused) = await WriteUntilRefusedAsync(tenant);
        refused.Dispose();
        var secondKey = await Server.Services.GetRequiredService<TenantStore>().CreateKeyAsync(tenant.TenantId, ApiKeyRole.Tenant, default);
        using var second = Server.CreateClient($"Bearer {secondKey}");

        using var response = await second.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "other key", kind = "counter" }));

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Post_TenantOverride_AppliesWithinTheRefreshInterval()
    {
        using var tenant = await Server.CreateTenantAsync();
        await Server.Services.GetRequiredService<TenantLimitsStore>().SetAsync(tenant.TenantId, new TenantLimits(1, 40, null, null), default);
        var cache = Server.Services.GetRequiredService<TenantLimitsCache>();
        await BoundedWait.UntilAsync(() => cache.For(tenant.TenantId).Write.Burst == 40, () => cache.For(tenant.TenantId).ToString(),
            "the instance rereads tenant_limits");

        using var response = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "raised", kind = "counter" }));
        var (granted, refused) = await WriteUntilRefusedAsync(tenant, attempts: 200);
        refused.Dispose();

        Field(response, "RateLimit-Policy").ShouldBe("\"writes\";q=40;w=40");
        (granted + 1).ShouldBeGreaterThanOrEqualTo(40, "the tenant's burst, not the setting's 5");
    }

    [Fact]
    public async Task Post_OperatorEndpointsAndAnonymous_AreNotLimited()
    {
        using var anonymous = Server.CreateClient();

        using var response = await anonymous.PostAsJsonAsync("/api/widgets", new { name = "x", kind = "counter" });

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.Contains("RateLimit").ShouldBeFalse("an unauthenticated request has no key, so no bucket");
    }

    private static async Task<(int Granted, HttpResponseMessage Refused)> WriteUntilRefusedAsync(TenantClient tenant, int attempts = 50)
    {
        var granted = 0;
        for (var i = 0; i < attempts; i++)
        {
            var response = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = $"w{i}", kind = "counter" }));
            if (response.StatusCode != HttpStatusCode.Created)
            {
                return (granted, response);
            }

            granted++;
            response.Dispose();
        }

        throw new ShouldAssertException($"{attempts} writes in a row were granted: the limit never applied.");
    }

    private static string Field(HttpResponseMessage response, string name) =>
        string.Join(", ", response.Headers.GetValues(name));
}
