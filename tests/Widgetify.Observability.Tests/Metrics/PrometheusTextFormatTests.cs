using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Tests.Metrics;

public sealed partial class PrometheusTextFormatTests
{
    private static readonly KeyValuePair<string, string>[] NoLabels = [];

    [Fact]
    public void Write_Counter_WritesHelpTypeAndSample()
    {
        // Arrange
        var snapshot = Snapshot(Family("widgetify.admission.shed", "{request}", MetricKind.Counter, "Requests shed.",
            Series(3, ("widgetify.priority", "read"), ("widgetify.shed.reason", "queue_full"))));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, NoLabels);

        // Assert
        text.ShouldBe("""
            # HELP widgetify_admission_shed_total Requests shed.
            # TYPE widgetify_admission_shed_total counter
            widgetify_admission_shed_total{widgetify_priority="read",widgetify_shed_reason="queue_full"} 3

            """.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_Histogram_WritesCumulativeBucketsInfSumAndCount()
    {
        // Arrange
        var histogram = new HistogramValue([0.1, 0.5], [2, 0, 3], sum: 4.25);
        var snapshot = Snapshot(Family("http.server.request.duration", "s", MetricKind.Histogram, "Duration.",
            new MetricSeries([new("http.route", "/widgets")], histogram.Count, histogram)));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, [new("service_name", "api")]);

        // Assert
        text.ShouldBe("""
            # HELP http_server_request_duration_seconds Duration.
            # TYPE http_server_request_duration_seconds histogram
            http_server_request_duration_seconds_bucket{service_name="api",http_route="/widgets",le="0.1"} 2
            http_server_request_duration_seconds_bucket{service_name="api",http_route="/widgets",le="0.5"} 2
            http_server_request_duration_seconds_bucket{service_name="api",http_route="/widgets",le="+Inf"} 5
            http_server_request_duration_seconds_sum{service_name="api",http_route="/widgets"} 4.25
            http_server_request_duration_seconds_count{service_name="api",http_route="/widgets"} 5

            """.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_LabelValuesWithSpecialCharacters_AreEscaped()
    {
        // Arrange
        var snapshot = Snapshot(Family("g", null, MetricKind.Gauge, "d",
            Series(1, ("path", "C:\\temp \"quoted\"\nnext ünï"))));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, NoLabels);

        // Assert
        text.ShouldContain("g{path=\"C:\\\\temp \\\"quoted\\\"\\nnext ünï\"} 1\n");
    }

    [Fact]
    public void Write_HelpWithBackslashAndNewline_IsEscaped()
    {
        // Arrange
        var snapshot = Snapshot(Family("g", null, MetricKind.Gauge, "first \\ line\nsecond \"line\"", Series(1)));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, NoLabels);

        // Assert
        text.ShouldStartWith("# HELP g first \\\\ line\\nsecond \"line\"\n");
    }

    [Fact]
    public void Write_NoDescription_WritesHelpNamingTheInstrument()
    {
        // Arrange
        var snapshot = Snapshot(Family("widgetify.admission.limit", "{request}", MetricKind.Gauge, null, Series(8)));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, NoLabels);

        // Assert
        text.ShouldStartWith("# HELP widgetify_admission_limit widgetify.admission.limit from meter Tests.\n");
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e21, "1E+21")]
    [InlineData(123456789012d, "123456789012")]
    public void Write_SpecialAndLargeValues_AreSpelledAsPrometheusParsesThem(double value, string expected)
    {
        // Arrange
        var snapshot = Snapshot(Family("g", null, MetricKind.Gauge, "d", Series(value)));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, NoLabels);

        // Assert
        text.ShouldEndWith($"\ng {expected}\n");
    }

    [Fact]
    public void Write_ConstantLabels_AreOnEverySample()
    {
        // Arrange
        var histogram = new HistogramValue([1], [1, 0], sum: 0.5);
        var snapshot = Snapshot(
            Family("c", null, MetricKind.Counter, "d", Series(1), Series(2, ("k", "v"))),
            Family("h", "s", MetricKind.Histogram, "d", new MetricSeries([], 1, histogram)));
        KeyValuePair<string, string>[] constant = [new("service_name", "widgetify-api"), new("service.instance.id", "api-1")];

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, constant);

        // Assert
        var samples = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        samples.Count.ShouldBe(2 + 4);
        samples.ShouldAllBe(l => l.Contains("{service_name=\"widgetify-api\",service_instance_id=\"api-1\""));
    }

    [Fact]
    public void Write_Families_AreSortedByPrometheusNameAndEmptyOnesOmitted()
    {
        // Arrange
        var snapshot = Snapshot(
            Family("zeta", null, MetricKind.Gauge, "d", Series(1)),
            Family("alpha", null, MetricKind.Counter, "d", Series(1)),
            Family("empty", null, MetricKind.Gauge, "d"),
            Family("beta", null, MetricKind.Gauge, "d", Series(1)));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, NoLabels);

        // Assert
        var types = text.Split('\n').Where(l => l.StartsWith("# TYPE", StringComparison.Ordinal)).ToList();
        types.ShouldBe(["# TYPE alpha_total counter", "# TYPE beta gauge", "# TYPE zeta gauge"]);
    }

    [Fact]
    public void Write_TwoInstrumentsWithOnePrometheusName_WritesOnlyTheFirst()
    {
        // Arrange
        var snapshot = Snapshot(
            Family("queue.depth", null, MetricKind.Gauge, "first", Series(1)),
            Family("queue_depth", null, MetricKind.Gauge, "second", Series(2)));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, NoLabels);

        // Assert
        text.ShouldBe("# HELP queue_depth first\n# TYPE queue_depth gauge\nqueue_depth 1\n");
    }

    [Fact]
    public void Write_TagClashingWithConstantOrLeLabel_IsExported()
    {
        // Arrange
        var histogram = new HistogramValue([1], [1, 0], sum: 0.5);
        var snapshot = Snapshot(Family("h", "s", MetricKind.Histogram, "d",
            new MetricSeries([new("le", "x"), new("service.name", "other")], 1, histogram)));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, [new("service_name", "api")]);

        // Assert
        text.ShouldContain("h_seconds_bucket{service_name=\"api\",exported_le=\"x\",exported_service_name=\"other\",le=\"1\"} 1\n");
    }

    [Fact]
    public void Write_LeOrQuantileTagOnAGauge_IsExported()
    {
        // Arrange
        var snapshot = Snapshot(Family("g", null, MetricKind.Gauge, "d", Series(1, ("le", "a"), ("quantile", "b"))));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, NoLabels);

        // Assert
        text.ShouldEndWith("\ng{exported_le=\"a\",exported_quantile=\"b\"} 1\n");
    }

    [Fact]
    public void Write_TagsMappingToOneLabelName_JoinTheirValues()
    {
        // Arrange
        var snapshot = Snapshot(Family("g", null, MetricKind.Gauge, "d", Series(1, ("a.b", "dotted"), ("a_b", "underscored"))));

        // Act
        var text = PrometheusTextFormat.ToText(snapshot, NoLabels);

        // Assert
        text.ShouldEndWith("\ng{a_b=\"dotted;underscored\"} 1\n");
    }

    [Fact]
    public void Write_DuplicateConstantLabels_Throws()
    {
        // Act
        var act = () => PrometheusTextFormat.ToText(MetricsSnapshot.Empty, [new("service.name", "a"), new("service_name", "b")]);

        // Assert
        act.ShouldThrow<ArgumentException>().Message.ShouldContain("service_name");
    }

    private static MetricsSnapshot Snapshot(params MetricFamily[] families) => new(families);

    private static MetricFamily Family(string name, string? unit, MetricKind kind, string? description, params MetricSeries[] series) =>
        new(name, unit, description, "Tests", kind, series);

    private static MetricSeries Series(double value, params (string Key, string Value)[] tags) =>
        new([.. tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new KeyValuePair<string, string>(t.Key, t.Value))], value);
}
