using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Tests.Metrics;

public sealed class PrometheusNamesTests
{
    [Theory]
    [InlineData("http.server.request.duration", "s", MetricKind.Histogram, "http_server_request_duration_seconds")]
    [InlineData("widgetify.admission.shed", "{request}", MetricKind.Counter, "widgetify_admission_shed_total")]
    [InlineData("widgetify.admission.limit", "{request}", MetricKind.Gauge, "widgetify_admission_limit")]
    [InlineData("widgetify.admission.in_flight", "{request}", MetricKind.UpDownCounter, "widgetify_admission_in_flight")]
    [InlineData("db.client.connection.count", "{connection}", MetricKind.UpDownCounter, "db_client_connections")]
    [InlineData("postgresql.commits", "{commit}", MetricKind.Counter, "postgresql_commits_total")]
    [InlineData("postgresql.longest_transaction.duration", "s", MetricKind.Gauge, "postgresql_longest_transaction_duration_seconds")]
    [InlineData("widgetify.admission.queue.duration", "s", MetricKind.Histogram, "widgetify_admission_queue_duration_seconds")]
    public void MetricName_TeamExamples_MatchWhatDashboardsAndRulesUse(string instrument, string unit, MetricKind kind, string expected)
    {
        // Act
        var name = PrometheusNames.MetricName(instrument, unit, kind);

        // Assert
        name.ShouldBe(expected);
    }

    [Theory]
    [InlineData("queue.count", "{item}", MetricKind.Gauge, "queues")]
    [InlineData("items.count", null, MetricKind.Gauge, "items")]
    [InlineData("count", null, MetricKind.Gauge, "count_value")]
    [InlineData("work.sum", null, MetricKind.UpDownCounter, "work_sum_value")]
    [InlineData("work.bucket", null, MetricKind.Gauge, "work_bucket_value")]
    [InlineData("requests.count", "{request}", MetricKind.Counter, "requests_count_total")]
    [InlineData("latency.count", "s", MetricKind.Gauge, "latency_count_seconds")]
    public void MetricName_ReservedHistogramSuffixOnANonHistogram_IsAvoided(string instrument, string? unit, MetricKind kind, string expected)
    {
        // Act
        var name = PrometheusNames.MetricName(instrument, unit, kind);

        // Assert
        name.ShouldBe(expected);
    }

    [Theory]
    [InlineData("db.client.operation.duration", "ms", MetricKind.Histogram, "db_client_operation_duration_milliseconds")]
    [InlineData("process.memory.usage", "By", MetricKind.UpDownCounter, "process_memory_usage_bytes")]
    [InlineData("network.io", "By", MetricKind.Counter, "network_io_bytes_total")]
    [InlineData("pool.utilization", "1", MetricKind.Gauge, "pool_utilization_ratio")]
    [InlineData("pool.retries", "1", MetricKind.Counter, "pool_retries_total")]
    [InlineData("pool.waiters", "1", MetricKind.UpDownCounter, "pool_waiters")]
    [InlineData("throughput", "By/s", MetricKind.Gauge, "throughput_bytes_per_second")]
    [InlineData("arrivals", "{request}/s", MetricKind.Gauge, "arrivals_per_second")]
    [InlineData("queue.wait", "", MetricKind.Histogram, "queue_wait")]
    [InlineData("queue.wait", null, MetricKind.Histogram, "queue_wait")]
    [InlineData("temperature", "Cel", MetricKind.Gauge, "temperature_celsius")]
    [InlineData("weird", "furlongs", MetricKind.Gauge, "weird_furlongs")]
    public void MetricName_Units_AppendTheUnitWord(string instrument, string? unit, MetricKind kind, string expected)
    {
        // Act
        var name = PrometheusNames.MetricName(instrument, unit, kind);

        // Assert
        name.ShouldBe(expected);
    }

    [Theory]
    [InlineData("request.duration_seconds", "s", MetricKind.Histogram, "request_duration_seconds")]
    [InlineData("heap.bytes", "By", MetricKind.Gauge, "heap_bytes")]
    [InlineData("requests.total", "{request}", MetricKind.Counter, "requests_total")]
    [InlineData("cpu.time.total", "s", MetricKind.Counter, "cpu_time_seconds_total")]
    [InlineData("cpu.seconds.total", "s", MetricKind.Counter, "cpu_seconds_total")]
    public void MetricName_SuffixAlreadyThere_IsNotRepeated(string instrument, string unit, MetricKind kind, string expected)
    {
        // Act
        var name = PrometheusNames.MetricName(instrument, unit, kind);

        // Assert
        name.ShouldBe(expected);
    }

    [Theory]
    [InlineData("my-app/requests:active", "my_app_requests_active")]
    [InlineData("a..b__c", "a_b_c")]
    [InlineData(".leading.and.trailing.", "leading_and_trailing")]
    [InlineData("2xx.responses", "_2xx_responses")]
    [InlineData("Größe", "Gr_e")]
    [InlineData("...", "metric")]
    public void MetricName_InvalidCharacters_BecomeOneUnderscore(string instrument, string expected)
    {
        // Act
        var name = PrometheusNames.MetricName(instrument, unit: null, MetricKind.Gauge);

        // Assert
        name.ShouldBe(expected);
    }

    [Theory]
    [InlineData("http.route", "http_route")]
    [InlineData("http.request.method", "http_request_method")]
    [InlineData("http.response.status_code", "http_response_status_code")]
    [InlineData("widgetify.shed.reason", "widgetify_shed_reason")]
    [InlineData("db.client.connection.state", "db_client_connection_state")]
    [InlineData("otel.metric.overflow", "otel_metric_overflow")]
    [InlineData("has-dash and space", "has_dash_and_space")]
    [InlineData("ünïcode", "_n_code")]
    [InlineData("1st", "key_1st")]
    [InlineData("__name__", "key__name__")]
    [InlineData("", "key")]
    public void LabelName_TagKeys_BecomeValidLabelNames(string tagKey, string expected)
    {
        // Act
        var label = PrometheusNames.LabelName(tagKey);

        // Assert
        label.ShouldBe(expected);
    }
}
