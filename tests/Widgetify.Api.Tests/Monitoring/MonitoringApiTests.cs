using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Widgetify.Api.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Core.Traffic;

namespace Widgetify.Api.Tests.Monitoring;

[Collection(SharedApiServer.Name)]
public sealed partial class MonitoringApiTests(ApiFixture fixture)
{
    private WidgetifyServer Server => fixture.Server;

    private async Task GenerateTrafficAsync()
    {
        using var tenant = await Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Metrics probe");
        using var anonymous = Server.CreateClient();
        for (var i = 0; i < 20; i++)
        {
            (await anonymous.GetAsync($"/w/{widget.Id}")).EnsureSuccessStatusCode();
        }
    }

    /// <summary>Scrapes until the text shows <paramref name="what"/> and <see cref="GenerateTrafficAsync"/>'s requests. The
    /// exporter answers for 300 ms from the text it last rendered, which another test's scrape may have rendered before
    /// this test's traffic.</summary>
    private static async Task<string> ScrapeAfterTrafficUntilAsync(HttpClient client, Func<string, bool> shows, string what)
    {
        var text = "";
        await BoundedWait.UntilAsync(
            async () => shows(text = await client.GetStringAsync("/metrics")) && text.Contains("http_route=\"/w/{id}\"", StringComparison.Ordinal),
            () => text.Length + " bytes", what + " and this test's traffic are exposed");
        return text;
    }

    [Fact]
    public async Task Metrics_AfterTraffic_PassesPromtoolAndCoversHttpPoolAdmissionAndServer()
    {
        await GenerateTrafficAsync();
        using var client = Server.CreateClient();

        // The server-side figures come from the first database sample, taken within a second of start.
        var text = await ScrapeAfterTrafficUntilAsync(
            client, t => t.Contains("postgresql_connection_max{", StringComparison.Ordinal), "the first database sample");
        var response = await client.GetAsync("/metrics");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().ShouldBe("text/plain; version=0.0.4; charset=utf-8");
        var lint = await Promtool.CheckMetricsAsync(text);
        lint.ExitCode.ShouldBe(0, lint.Output);
        lint.Output.Trim().ShouldBeEmpty();
        text.ShouldContain("# TYPE http_server_request_duration_seconds histogram");
        text.ShouldContain("http_route=\"/w/{id}\"");
        text.ShouldContain("# TYPE db_client_connections gauge");
        text.ShouldContain("db_client_connection_pool_name=\"widgetify-primary\"");
        text.ShouldContain("# TYPE widgetify_admission_limit gauge");
        text.ShouldContain("# TYPE widgetify_admission_admitted_total counter");
        text.ShouldContain("# TYPE widgetify_pool_share gauge");
        text.ShouldContain("# TYPE widgetify_pool_acquire_duration_seconds histogram");
        text.ShouldContain("# TYPE postgresql_backends gauge");
        text.ShouldContain("# TYPE postgresql_commits_total counter");
        Regex.IsMatch(text, @"^postgresql_connection_max\{[^}]*service_instance_id=""[^""]+""[^}]*\} 100$", RegexOptions.Multiline).ShouldBeTrue();
        Regex.IsMatch(text, @"^widgetify_database_up\{[^}]*service_name=""widgetify""[^}]*\} 1$", RegexOptions.Multiline).ShouldBeTrue();
        // Npgsql would name the pool by its connection string; the password must never reach a scrape.
        text.ShouldNotContain("Password", Case.Insensitive);
    }

    [Fact]
    public async Task Metrics_ScraperPrefersOpenMetrics_GetsTheTextFormatPromtoolChecks()
    {
        // Arrange: Prometheus 2.42's scrape Accept header.
        using var client = Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.TryAddWithoutValidation("Accept",
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");

        // Act
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        // Assert: no OpenMetrics _created series, so Prometheus ingests what promtool lints.
        response.Content.Headers.ContentType!.ToString().ShouldBe("text/plain; version=0.0.4; charset=utf-8");
        text.ShouldNotContain("_created");
        text.ShouldNotContain("# EOF");
    }

    [Fact]
    public async Task Metrics_Scrape_IsRecordedAsOperatorTraffic()
    {
        // Arrange: the host's own factory, so other hosts in this process do not count.
        using var requests = new MetricCollector<double>(
            Server.Services.GetRequiredService<IMeterFactory>(), "Microsoft.AspNetCore.Hosting", "http.server.request.duration");
        using var client = Server.CreateClient();

        // Act
        await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        await requests.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(30));

        // Assert: the signals leave scrapes out by this tag.
        requests.GetMeasurementSnapshot().ShouldContain(m =>
            Equals(m.Tags.GetValueOrDefault("http.route"), "/metrics") && Equals(m.Tags.GetValueOrDefault(TrafficExtensions.TrafficTag), TrafficExtensions.OperatorTagValue));
    }

    [Fact]
    public async Task Metrics_AfterAScrape_ItsRequestSeriesCarriesTheLabelTheRulesLeaveOut()
    {
        // Arrange
        await GenerateTrafficAsync();
        using var client = Server.CreateClient();

        // Act: a scrape shows in a later one.
        var text = await ScrapeAfterTrafficUntilAsync(client, OperatorScrapeSeries().IsMatch, "an earlier scrape's request series");

        // Assert: deploy/prometheus/widgetify.rules.yml and the dashboard select {widgetify_traffic!="operator"}, which
        // keeps visitors' series, which have no such label.
        VisitorSeries().IsMatch(text).ShouldBeTrue("a visitor's request series carries no widgetify_traffic label");
    }

    [Fact]
    public async Task OperatorEndpoints_WithoutKey_Are401()
    {
        using var client = Server.CreateClient();

        foreach (var path in (string[])["/api/alerts", "/api/incidents", "/api/monitoring/signals", "/api/scaling"])
        {
            (await client.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
        }
    }

    [Fact]
    public async Task OperatorEndpoints_WithTenantKey_Are403()
    {
        using var tenant = await Server.CreateTenantAsync();

        foreach (var path in (string[])["/api/alerts", "/api/incidents", "/api/monitoring/signals", "/api/scaling"])
        {
            (await tenant.Http.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Forbidden, path);
        }
    }

    [Fact]
    public async Task Alerts_WithOperatorKey_ListsActiveAndRecent()
    {
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);

        using var document = JsonDocument.Parse(await operatorClient.Http.GetStringAsync("/api/alerts"));

        document.RootElement.GetProperty("active").ValueKind.ShouldBe(JsonValueKind.Array);
        document.RootElement.GetProperty("recent").ValueKind.ShouldBe(JsonValueKind.Array);
    }

    [Fact]
    public async Task Signals_AfterTraffic_HasPerSecondSamplesWithRequestsAndPool()
    {
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        await GenerateTrafficAsync();
        JsonElement samples = default;

        await BoundedWait.UntilAsync(
            async () =>
            {
                using var document = JsonDocument.Parse(await operatorClient.Http.GetStringAsync("/api/monitoring/signals?seconds=60"));
                samples = document.RootElement.GetProperty("samples").Clone();
                return samples.EnumerateArray().Any(s => s.GetProperty("requests").GetInt64() > 0);
            },
            () => samples.ValueKind == JsonValueKind.Undefined ? "none" : samples.GetArrayLength() + " samples",
            "the traffic shows in a per-second sample");

        var last = samples.EnumerateArray().Last();
        last.GetProperty("connectionShare").GetInt64().ShouldBeGreaterThan(0);
        last.GetProperty("databaseUp").GetBoolean().ShouldBeTrue();
        last.GetProperty("maxConnections").GetInt64().ShouldBe(100);
    }

    [Theory]
    [InlineData("/api/monitoring/signals?seconds=0")]
    [InlineData("/api/monitoring/signals?seconds=100000")]
    [InlineData("/api/incidents?limit=0")]
    [InlineData("/api/incidents?limit=abc")]
    public async Task OperatorEndpoints_BadQuery_Are400Problems(string path)
    {
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);

        var response = await operatorClient.Http.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Theory]
    [InlineData("ffffffff", HttpStatusCode.NotFound)]
    [InlineData("ffffffff-ffff-7fff-bfff-ffffffffffff", HttpStatusCode.NotFound)]
    [InlineData("ffffffff-no-such", HttpStatusCode.BadRequest)]
    [InlineData("abc", HttpStatusCode.BadRequest)]
    public async Task Incident_UnknownOrMalformedId_IsAProblem(string id, HttpStatusCode expected)
    {
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);

        var response = await operatorClient.Http.GetAsync($"/api/incidents/{id}");

        response.StatusCode.ShouldBe(expected);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [GeneratedRegex(@"^http_server_request_duration_seconds_count\{(?=[^}]*http_route=""/metrics"")(?=[^}]*widgetify_traffic=""operator"")", RegexOptions.Multiline)]
    private static partial Regex OperatorScrapeSeries();

    [GeneratedRegex(@"^http_server_request_duration_seconds_count\{(?=[^}]*http_route=""/w/\{id\}"")(?![^}]*widgetify_traffic)", RegexOptions.Multiline)]
    private static partial Regex VisitorSeries();
}
