using System.Collections.Concurrent;
using System.Net;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Overload;

/// <summary>The guarantee Feb 15 lacked, end to end: a real PostgreSQL whose budget leaves this instance a few
/// connections, hundreds of concurrent requests over real HTTP, and PostgreSQL's own count of connections
/// (pg_stat_activity) sampled throughout.</summary>
public sealed class OverloadProtectionTests : IAsyncLifetime
{
    // max_connections 20 − superuser_reserved_connections 3 − 11 kept for other clients = a budget of 6: this
    // instance's control connection and key listener, a pool share of 2, and 2 seats kept free for a newcomer's own two.
    private const int MaxConnections = 20;
    private const int ReservedForOthers = 11;
    private const int Budget = MaxConnections - 3 - ReservedForOthers;

    private DedicatedServer? _dedicated;

    private TestPostgres Postgres => _dedicated!.Postgres;

    private WidgetifyServer Server => _dedicated!.Server;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(MaxConnections, new Dictionary<string, string?>
    {
        ["Widgetify:Database:MaxPoolSize"] = "1000", // Feb 15's setting: the budget must clamp it
        ["Widgetify:ConnectionBudget:ReservedForOtherClients"] = ReservedForOthers.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [Fact]
    public async Task Storm_500ConcurrentRequests_ConnectionsStayWithinBudgetAndEveryRequestIsAnswered()
    {
        using var tenant = await Server.CreateTenantAsync();
        var widgets = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            widgets.Add((await tenant.Http.CreateWidgetAsync($"storm-{i}")).Id);
        }

        using var sampling = new CancellationTokenSource();
        var sampler = QuerySampler.SampleMaxAsync(
            Postgres.Cluster.AdminConnectionString,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'widgetify%'",
            [],
            sampling.Token,
            TimeSpan.FromMilliseconds(2));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 500 })
        {
            BaseAddress = Server.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = tenant.Http.DefaultRequestHeaders.Authorization;
        var outcomes = new ConcurrentBag<(HttpStatusCode Status, string? RetryAfter, string? ContentType)>();

        await Task.WhenAll(Enumerable.Range(0, 500).Select(async i =>
        {
            using var request = (i % 10) switch
            {
                0 => new HttpRequestMessage(HttpMethod.Post, "/api/widgets")
                {
                    Content = WidgetHttp.Json(new { name = $"w{i}", kind = "counter", config = new { } }),
                },
                1 => new HttpRequestMessage(HttpMethod.Get, "/api/widgets?limit=10"),
                _ => new HttpRequestMessage(HttpMethod.Get, $"/w/{widgets[i % widgets.Count]}"),
            };
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            outcomes.Add((response.StatusCode, response.Headers.RetryAfter?.ToString(), response.Content.Headers.ContentType?.MediaType));
        }));

        await sampling.CancelAsync();
        var peak = await sampler;

        peak.ShouldBeGreaterThan(0, "the sampler must have seen Widgetify's connections");
        peak.ShouldBeLessThanOrEqualTo(Budget, "PostgreSQL never saw more Widgetify connections than the budget");
        outcomes.Count.ShouldBe(500);
        outcomes.ShouldAllBe(o => o.Status == HttpStatusCode.OK || o.Status == HttpStatusCode.Created
            || (o.Status == HttpStatusCode.ServiceUnavailable && o.RetryAfter != null && o.ContentType == "application/problem+json"));
        outcomes.Count(o => o.Status is HttpStatusCode.OK or HttpStatusCode.Created).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Ready_ConfiguredPoolAboveBudget_ReportsTheClampAndWhy()
    {
        using var client = Server.CreateClient();

        var health = await client.GetHealthAsync("/health/ready", HttpStatusCode.OK);

        var connections = health.GetProperty("checks").GetProperty("connections")[0];
        var data = connections.GetProperty("observedValue");
        data.GetProperty("configuredMaxPoolSize").GetInt32().ShouldBe(1000);
        data.GetProperty("connectionBudget").GetInt32().ShouldBe(Budget);
        data.GetProperty("appliedMaxPoolSize").GetInt32().ShouldBe(Budget - 2, "the control connection and the listener are outside the pool");
        data.GetProperty("connectionShare").GetInt32().ShouldBe(Budget - 4, "two seats stay free so a newcomer's control connection and listener fit");
        var reason = connections.GetProperty("output").GetString();
        reason.ShouldNotBeNull();
        reason.ShouldContain("1000");
        reason.ShouldContain("max_connections");
    }
}
