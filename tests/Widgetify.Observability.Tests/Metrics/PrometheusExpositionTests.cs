using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Widgetify.Observability.Tests.Metrics;

/// <summary>OpenTelemetry's Prometheus exporter with Widgetify's views, scraped over HTTP and checked by the real
/// <c>promtool check metrics</c> (Debian's prometheus package), which parses the text as Prometheus does and lints
/// names, HELP, TYPE and suffixes.</summary>
public sealed class PrometheusExpositionTests
{
    [Fact]
    public async Task Scrape_VariedInstrumentsWithWidgetifyViews_PassesPromtoolCheckMetrics()
    {
        // Arrange
        var meterName = $"Widgetify.Tests.Exposition.{Guid.NewGuid():N}";
        await using var scrape = await PrometheusScrape.StartAsync(meterName);
        var meter = scrape.Services.GetRequiredService<IMeterFactory>().Create(meterName);
        var requests = meter.CreateCounter<long>("widgetify.test.requests", "{request}", "Requests \\ served,\nby route.");
        var inFlight = meter.CreateUpDownCounter<int>("widgetify.test.in_flight", "{request}", "Requests in flight.");
        var latency = meter.CreateHistogram("http.server.request.duration", "s", "Duration of HTTP server requests.",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1, 10] });
        var wait = meter.CreateHistogram<double>("widgetify.test.queue.wait", "s", "Queue wait, no advice.");
        var sizes = meter.CreateHistogram<int>("widgetify.test.payload.size", "By", "Payload sizes.");
        meter.CreateObservableGauge("widgetify.test.utilization", () => 0.75, "1", "Pool utilization.");
        meter.CreateObservableUpDownCounter("db.client.connection.count", () => new[]
        {
            new Measurement<long>(3, new KeyValuePair<string, object?>("db.client.connection.state", "idle")),
            new Measurement<long>(5, new KeyValuePair<string, object?>("db.client.connection.state", "used")),
        }, "{connection}", "Connections by state.");
        meter.CreateObservableCounter("postgresql.commits", () => 1234L, "{commit}", "Commits.");

        requests.Add(7, new("http.route", "/widgets/{id}"), new("http.request.method", "GET"), new("http.response.status_code", 200));
        requests.Add(1, new("http.route", "C:\\path \"quoted\"\nline two"), new("http.request.method", "POST"), new("http.response.status_code", 503));
        requests.Add(2, new("widgetify.note", "ünïcødé ✓ 日本"), new("flag", true));
        inFlight.Add(3);
        latency.Record(0.004, new KeyValuePair<string, object?>("http.route", "/a"));
        latency.Record(12, new KeyValuePair<string, object?>("http.route", "/b"));
        wait.Record(0.02);
        sizes.Record(512);

        // Act
        var text = await scrape.ScrapeAsync();
        var (_, exitCode, output) = await Promtool.CheckMetricsAsync(text);

        // Assert
        output.Trim().ShouldBeEmpty($"promtool printed problems for:\n{text}");
        exitCode.ShouldBe(0, $"promtool rejected:\n{text}");
        text.ShouldContain("# TYPE widgetify_test_requests_total counter");
        text.ShouldContain("# TYPE http_server_request_duration_seconds histogram");
        text.ShouldContain("# TYPE db_client_connections gauge");
        text.ShouldContain("db_client_connections{db_client_connection_state=\"used\"} 5");
        text.ShouldContain("postgresql_commits_total{} 1234");
        text.ShouldContain("widgetify_test_queue_wait_seconds_bucket{le=\"0.025\"} 1", Case.Sensitive, "second-sized buckets, not the SDK's milliseconds");
    }

    [Fact]
    public async Task CheckMetrics_DuplicateTypeLine_IsWhatPromtoolRejects()
    {
        // Arrange: shows the promtool check can fail, so the test above passing means something.
        const string Exposition = "# HELP a_total x\n# TYPE a_total counter\na_total 1\n# HELP a_total x\n# TYPE a_total counter\na_total 2\n";

        // Act
        var (_, exitCode, _) = await Promtool.CheckMetricsAsync(Exposition);

        // Assert
        exitCode.ShouldNotBe(0);
    }
}
