using System.Net;
using System.Net.Http.Headers;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Errors;

/// <summary>A service whose PostgreSQL has been stopped after start-up: its own cluster, never the shared one.</summary>
public sealed class DatabaseDownFixture : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    public WidgetifyServer Server => _dedicated?.Server ?? throw new InvalidOperationException("Fixture not started.");

    /// <summary>A key used before the stop, so the service has it cached.</summary>
    public TenantClient CachedTenant { get; private set; } = null!;

    /// <summary>A key created before the stop but never used, so the service must ask the database.</summary>
    public TenantClient FreshTenant { get; private set; } = null!;

    public Guid WidgetId { get; private set; }

    /// <summary>The stopped server's port, which no 503 may reveal.</summary>
    public string DatabasePort { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Widgetify:Api:ApiKeyCacheDuration"] = "00:10:00",
        });
        CachedTenant = await Server.CreateTenantAsync();
        FreshTenant = await Server.CreateTenantAsync();
        foreach (var tenant in (TenantClient[])[CachedTenant, FreshTenant])
        {
            tenant.Http.Timeout = TimeSpan.FromSeconds(30); // a hang fails the test instead of passing late
        }

        WidgetId = (await CachedTenant.Http.CreateWidgetAsync("Survivor")).Id;
        await Server.CacheKeyAsync(CachedTenant);

        DatabasePort = _dedicated.Postgres.Cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await _dedicated.Postgres.Cluster.StopAsync();
    }

    public HttpClient CreateClient()
    {
        var client = Server.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        return client;
    }

    public async Task DisposeAsync()
    {
        CachedTenant?.Dispose();
        FreshTenant?.Dispose();
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }
}

public sealed class DatabaseUnavailableTests(DatabaseDownFixture fixture) : IClassFixture<DatabaseDownFixture>
{
    private async Task ShouldBe503WithRetryAfterAsync(HttpResponseMessage response)
    {
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "database");
        response.Headers.RetryAfter.ShouldNotBeNull("a 503 must say when to come back");
        response.Headers.RetryAfter.Delta.ShouldNotBeNull();
        var seconds = (int)response.Headers.RetryAfter.Delta!.Value.TotalSeconds;
        seconds.ShouldBeInRange(5, 7, "5 s plus the default jitter of 0-2 s");
        problem.GetProperty("detail").GetString()!.ShouldContain($"Retry after {seconds} s");
        // A pooled connection the stop closed says so (57P01) on its next use; a new one is refused.
        problem.ShouldNotRevealInternals(fixture.DatabasePort).ShouldMatch(@"^The database (could not be reached|is restarting or shutting down)\. ");
    }

    [Fact]
    public async Task Embed_ManyClientsFailedTogether_ToldToComeBackAtDifferentSeconds()
    {
        using var client = fixture.CreateClient();
        var seconds = new HashSet<int>();

        for (var i = 0; i < 40; i++)
        {
            using var response = await client.GetAsync($"/w/{fixture.WidgetId}");
            await ShouldBe503WithRetryAfterAsync(response);
            seconds.Add((int)response.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
        }

        // Three equally likely values: all 40 alike has odds of 3 in 3^40.
        seconds.Count.ShouldBeGreaterThan(1, "a fixed Retry-After sends every client back in the same second");
    }

    [Fact]
    public async Task List_CachedKey_Returns503WithRetryAfter()
    {
        using var response = await fixture.CachedTenant.Http.GetAsync("/api/widgets");

        await ShouldBe503WithRetryAfterAsync(response);
    }

    [Fact]
    public async Task List_KeyNotYetCached_Returns503NotUnauthorized()
    {
        using var response = await fixture.FreshTenant.Http.GetAsync("/api/widgets");

        await ShouldBe503WithRetryAfterAsync(response);
    }

    [Fact]
    public async Task Get_CachedKey_Returns503WithRetryAfter()
    {
        using var response = await fixture.CachedTenant.Http.GetAsync($"/api/widgets/{fixture.WidgetId}");

        await ShouldBe503WithRetryAfterAsync(response);
    }

    [Fact]
    public async Task Post_CachedKey_Returns503WithRetryAfterAndRateLimitFields()
    {
        using var response = await fixture.CachedTenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "x", kind = "counter" }));

        await ShouldBe503WithRetryAfterAsync(response);
        // The write passed its key's rate limit, so its 503, written by the exception handler, still says where it stands.
        response.Headers.GetValues("RateLimit-Policy").ShouldHaveSingleItem().ShouldBe("\"writes\";q=200;w=2");
        response.Headers.GetValues("RateLimit").ShouldHaveSingleItem().ShouldStartWith("\"writes\";r=");
    }

    [Fact]
    public async Task Post_WithIdempotencyKey_Returns503WithRetryAfter()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/widgets") { Content = WidgetHttp.Json(new { name = "x", kind = "counter" }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

        using var response = await fixture.CachedTenant.Http.SendAsync(request);

        await ShouldBe503WithRetryAfterAsync(response);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("*/*")]
    public async Task Embed_Returns503WithRetryAfter(string accept)
    {
        using var client = fixture.CreateClient();
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));

        using var response = await client.GetAsync($"/w/{fixture.WidgetId}");

        await ShouldBe503WithRetryAfterAsync(response);
    }

    [Fact]
    public async Task Embed_BrowserLoadingTheIframe_GetsTheBusyPageWith503AndRetryAfter()
    {
        // What a visitor's browser sends for the embed's iframe: the site's page shows a sentence, not a problem as raw text.
        using var client = fixture.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/w/{fixture.WidgetId}");
        request.Headers.Add("Sec-Fetch-Dest", "iframe");
        request.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        using var response = await client.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull().TotalSeconds.ShouldBeInRange(5, 7);
        response.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBe(true);
        response.Content.Headers.ContentType.ShouldNotBeNull().ToString().ShouldBe(BusyPage.ContentType);
        (await response.Content.ReadAsByteArrayAsync()).ShouldBe(BusyPage.Body.ToArray());
    }

    [Fact]
    public async Task Ready_Returns503Fail()
    {
        using var client = fixture.CreateClient();

        var health = await client.GetHealthAsync("/health/ready", HttpStatusCode.ServiceUnavailable);

        health.GetProperty("status").GetString().ShouldBe("fail");
        var database = health.GetProperty("checks").GetProperty("database")[0];
        database.GetProperty("status").GetString().ShouldBe("fail");
        database.GetProperty("output").GetString()!.ShouldContain("unreachable", Case.Insensitive);
    }

    [Fact]
    public async Task Serving_Returns200WhileReadyFails()
    {
        using var client = fixture.CreateClient();

        var health = await client.GetHealthAsync("/health/serving", HttpStatusCode.OK);

        health.GetProperty("status").GetString().ShouldNotBe("fail", "every pod shares the database: Kubernetes must not take them all out");
        health.GetProperty("checks").TryGetProperty("database", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Live_Returns200Pass()
    {
        using var client = fixture.CreateClient();

        var health = await client.GetHealthAsync("/health/live", HttpStatusCode.OK);

        health.GetProperty("status").GetString().ShouldBe("pass");
    }

    [Fact]
    public async Task Validation_StillAnsweredWithoutDatabase()
    {
        using var response = await fixture.CachedTenant.Http.GetAsync("/api/widgets?limit=0");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "limit");
    }
}

/// <summary>What the readiness probe, which anyone who reaches the service can call, says while the database is down.</summary>
public sealed class ReadinessWhileDatabaseDownTests(DatabaseDownFixture fixture) : IClassFixture<DatabaseDownFixture>
{
    [Fact]
    public async Task Ready_DatabaseDown_503BodySaysUnreachableWithoutTheAddressOrTheExceptionText()
    {
        using var client = fixture.CreateClient();

        using var response = await client.GetAsync("/health/ready");

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var body = await response.Content.ReadAsStringAsync();
        body.ShouldContain("Database unreachable");
        foreach (var secret in new[] { fixture.DatabasePort, "Failed to connect", "Connection refused", "Npgsql", "Exception" })
        {
            body.ShouldNotContain(secret, Case.Sensitive, $"the probe's body must not reveal internals: {body}");
        }
    }
}
