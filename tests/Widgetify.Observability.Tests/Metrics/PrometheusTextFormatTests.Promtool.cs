using System.Diagnostics.Metrics;
using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Tests.Metrics;

/// <summary>The exposition checked by the real <c>promtool check metrics</c> (Debian's prometheus package), which
/// parses it as Prometheus does and lints names, HELP, TYPE and suffixes.</summary>
public sealed partial class PrometheusTextFormatTests
{
    private enum Colour
    {
        Red,
    }

    [Fact]
    public async Task Write_VariedExpositionFromRealMeters_PassesPromtoolCheckMetrics()
    {
        // Arrange
        using var meters = new TestMeters();
        var meter = meters.Meter;
        var requests = meter.CreateCounter<long>("widgetify.test.requests", "{request}", "Requests \\ served,\nby route.");
        var inFlight = meter.CreateUpDownCounter<int>("widgetify.test.in_flight", "{request}", "Requests in flight.");
        var bytes = meter.CreateCounter<double>("widgetify.test.io", "By", "Bytes written.");
        var latency = meter.CreateHistogram("http.server.request.duration", "s", "Duration of HTTP server requests.",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1, 10] });
        var sizes = meter.CreateHistogram<int>("widgetify.test.payload.size", "By", description: null);
        var plain = meter.CreateHistogram<float>("widgetify.test.queue.wait", "s", "Queue wait, OpenTelemetry's default buckets.");
        var gauge = meter.CreateGauge<decimal>("widgetify.test.temperature", "Cel", "Temperature.");
        meter.CreateObservableGauge("widgetify.test.limit", () => new Measurement<int>(42, new KeyValuePair<string, object?>("pool", "main")), "{request}", "Limit.");
        meter.CreateObservableGauge("widgetify.test.utilization", () => 0.75, "1", "Pool utilization.");
        meter.CreateObservableUpDownCounter("widgetify.test.connections", () => new[]
        {
            new Measurement<long>(3, new KeyValuePair<string, object?>("db.client.connection.state", "idle")),
            new Measurement<long>(5, new KeyValuePair<string, object?>("db.client.connection.state", "used")),
        }, "{connection}", "Connections by state.");
        meter.CreateObservableCounter("postgresql.commits", () => 1234L, "{commit}", "Commits.");

        requests.Add(7, new("http.route", "/widgets/{id}"), new("http.request.method", "GET"), new("http.response.status_code", 200));
        requests.Add(1, new("http.route", "C:\\path \"quoted\"\nline two"), new("http.request.method", "POST"), new("http.response.status_code", 503));
        requests.Add(2, new("widgetify.note", "ünïcødé ✓ 日本"), new("flag", true), new("colour", Colour.Red), new("le", "clash"));
        inFlight.Add(3);
        inFlight.Add(-1);
        bytes.Add(1.5e9);
        latency.Record(0.004, new KeyValuePair<string, object?>("http.route", "/a"));
        latency.Record(0.25, new KeyValuePair<string, object?>("http.route", "/a"));
        latency.Record(12, new KeyValuePair<string, object?>("http.route", "/b"), new KeyValuePair<string, object?>("le", "tag"));
        sizes.Record(512);
        plain.Record(0.02f);
        gauge.Record(21.5m, new KeyValuePair<string, object?>("sensor.id", 7));

        var text = PrometheusTextFormat.ToText(meters.Collector.Collect(),
            [new("service_name", "widgetify-api"), new("service_instance_id", "host:8080")]);

        // Act
        var (_, exitCode, output) = await Promtool.CheckMetricsAsync(text);

        // Assert
        output.Trim().ShouldBeEmpty($"promtool printed problems for:\n{text}");
        exitCode.ShouldBe(0, $"promtool rejected:\n{text}");
        text.ShouldContain("# TYPE widgetify_test_requests_total counter");
        text.ShouldContain("# TYPE http_server_request_duration_seconds histogram");
        text.ShouldContain("le=\"+Inf\"");
        text.ShouldContain("widgetify_test_connections{service_name=\"widgetify-api\",service_instance_id=\"host:8080\",db_client_connection_state=\"used\"} 5");
        text.ShouldContain("postgresql_commits_total{service_name=\"widgetify-api\",service_instance_id=\"host:8080\"} 1234");
    }

    [Fact]
    public async Task Write_DuplicateTypeLine_IsWhatPromtoolRejects()
    {
        // Arrange: shows the promtool check can fail, so the test above passing means something.
        const string Exposition = "# HELP a_total x\n# TYPE a_total counter\na_total 1\n# HELP a_total x\n# TYPE a_total counter\na_total 2\n";

        // Act
        var (_, exitCode, _) = await Promtool.CheckMetricsAsync(Exposition);

        // Assert
        exitCode.ShouldNotBe(0);
    }
}
