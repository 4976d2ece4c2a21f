using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Tests.Metrics;

/// <summary>What the monitoring loop reads through the OpenTelemetry SDK: the aggregation is the SDK's, these tests
/// cover the copy into <see cref="MetricsSnapshot"/> and the views.</summary>
public sealed class MetricsCollectorTests : IDisposable
{
    private readonly TestMeters _meters = new();

    public void Dispose() => _meters.Dispose();

    private enum Mode
    {
        Degraded,
    }

    [Fact]
    public void Collect_Counter_SumsPerTagSet()
    {
        // Arrange
        var shed = _meters.Meter.CreateCounter<long>("widgetify.admission.shed", "{request}", "Shed.");

        // Act
        shed.Add(2, new KeyValuePair<string, object?>("widgetify.priority", "read"));
        shed.Add(3, new KeyValuePair<string, object?>("widgetify.priority", "read"));
        shed.Add(1, new KeyValuePair<string, object?>("widgetify.priority", "write"));
        var family = _meters.Collector.Collect().Find("widgetify.admission.shed")!;

        // Assert
        family.Kind.ShouldBe(MetricKind.Counter);
        family.Unit.ShouldBe("{request}");
        family.Description.ShouldBe("Shed.");
        family.MeterName.ShouldBe(_meters.MeterName);
        family.Series.Select(s => (s.Tag("widgetify.priority"), s.Value)).ShouldBe([("read", 5d), ("write", 1d)]);
    }

    [Fact]
    public void Collect_TwoCollections_CountersStayCumulative()
    {
        // Arrange
        var admitted = _meters.Meter.CreateCounter<double>("widgetify.admission.admitted", "{request}");
        admitted.Add(2);
        _meters.Collector.Collect();

        // Act
        admitted.Add(3);
        var second = _meters.Collector.Collect();

        // Assert: SignalSampler takes the deltas itself.
        second.Find("widgetify.admission.admitted")!.Series.ShouldHaveSingleItem().Value.ShouldBe(5);
    }

    [Fact]
    public void Collect_UpDownCounter_SumsUpAndDown()
    {
        // Arrange
        var held = _meters.Meter.CreateUpDownCounter<int>("widgetify.pool.connections.held", "{connection}");

        // Act
        held.Add(3);
        held.Add(-1);
        var family = _meters.Collector.Collect().Find("widgetify.pool.connections.held")!;

        // Assert
        family.Kind.ShouldBe(MetricKind.UpDownCounter);
        family.Series.ShouldHaveSingleItem().Value.ShouldBe(2);
    }

    [Fact]
    public void Collect_Gauge_KeepsTheLastValue()
    {
        // Arrange
        var limit = _meters.Meter.CreateGauge<double>("widgetify.admission.limit");

        // Act
        limit.Record(4);
        limit.Record(7.5);

        // Assert
        var family = _meters.Collector.Collect().Find("widgetify.admission.limit")!;
        family.Kind.ShouldBe(MetricKind.Gauge);
        family.Series.ShouldHaveSingleItem().Value.ShouldBe(7.5);
    }

    [Fact]
    public void Collect_ObservableInstruments_ReportTheLatestObservation()
    {
        // Arrange
        var limit = 8;
        long commits = 100;
        _meters.Meter.CreateObservableGauge("limit", () => limit);
        _meters.Meter.CreateObservableCounter("postgresql.commits", () => commits, "{commit}");
        _meters.Meter.CreateObservableUpDownCounter("postgresql.backends", () => 4);

        // Act
        var first = _meters.Collector.Collect();
        limit = 12;
        commits = 150;
        var second = _meters.Collector.Collect();

        // Assert
        first.Find("limit")!.Series.ShouldHaveSingleItem().Value.ShouldBe(8);
        second.Find("limit")!.Series.ShouldHaveSingleItem().Value.ShouldBe(12);
        second.Find("postgresql.commits")!.Kind.ShouldBe(MetricKind.Counter);
        second.Find("postgresql.commits")!.Series.ShouldHaveSingleItem().Value.ShouldBe(150, "an observable counter reports its own total");
        second.Find("postgresql.backends")!.Kind.ShouldBe(MetricKind.UpDownCounter);
        second.Find("postgresql.backends")!.Series.ShouldHaveSingleItem().Value.ShouldBe(4);
    }

    [Fact]
    public void Collect_CountGauge_IsStreamedUnderItsPluralName()
    {
        // Arrange: Npgsql's shape; Prometheus reserves _count for histograms.
        _meters.Meter.CreateObservableUpDownCounter("db.client.connection.count", () => new Measurement<long>(
            4, new KeyValuePair<string, object?>("db.client.connection.state", "idle")), "{connection}");
        _meters.Meter.CreateObservableUpDownCounter("widgetify.test.status.count", () => 1);
        var requests = _meters.Meter.CreateCounter<long>("widgetify.test.request.count");
        requests.Add(1);

        // Act
        var snapshot = _meters.Collector.Collect();

        // Assert
        snapshot.Find("db.client.connection.count").ShouldBeNull();
        snapshot.Find("db.client.connections")!.Series.ShouldHaveSingleItem().Value.ShouldBe(4);
        snapshot.Find("widgetify.test.status")!.Kind.ShouldBe(MetricKind.UpDownCounter, "a stem already ending in s stays");
        snapshot.Find("widgetify.test.request.count")!.Kind.ShouldBe(MetricKind.Counter, "a counter's _count_total is no clash");
    }

    [Fact]
    public void Find_MeterAndInstrumentName_PicksThatMetersInstrument()
    {
        // Arrange
        var otherName = _meters.MeterName + ".Other";
        using var other = new Meter(otherName);
        var collector = new MetricsCollector();
        using var both = OpenTelemetry.Sdk.CreateMeterProviderBuilder().AddMeter(_meters.MeterName, otherName).AddReader(collector.Reader).Build();
        _meters.Meter.CreateObservableGauge("shared", () => 1);
        other.CreateObservableGauge("shared", () => 2);

        // Act
        var snapshot = collector.Collect();

        // Assert
        snapshot.Find(otherName, "shared")!.Series.ShouldHaveSingleItem().Value.ShouldBe(2);
        snapshot.Find(_meters.MeterName, "shared")!.Series.ShouldHaveSingleItem().Value.ShouldBe(1);
        snapshot.Find(_meters.MeterName + ".None", "shared").ShouldBeNull();
    }

    [Fact]
    public void Collect_HistogramWithAdvice_UsesTheAdvisedBounds()
    {
        // Arrange
        var duration = _meters.Meter.CreateHistogram("http.server.request.duration", "s", null, tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });

        // Act
        duration.Record(0.05);
        duration.Record(0.5);
        duration.Record(0.5);
        duration.Record(3);
        var series = _meters.Collector.Collect().Find("http.server.request.duration")!.Series.ShouldHaveSingleItem();

        // Assert
        series.Value.ShouldBe(4);
        series.Histogram!.UpperBounds.ShouldBe([0.1, 1]);
        series.Histogram.Counts.ShouldBe([1L, 2, 1]);
        series.Histogram.Sum.ShouldBe(4.05, tolerance: 1e-9);
    }

    [Fact]
    public void Collect_HistogramInSecondsWithoutAdvice_GetsSecondSizedBounds()
    {
        // Arrange
        var wait = _meters.Meter.CreateHistogram<double>("widgetify.pool.acquire.duration", "s");

        // Act
        wait.Record(0.02);
        var histogram = _meters.Collector.Collect().Find("widgetify.pool.acquire.duration")!.Series.ShouldHaveSingleItem().Histogram!;

        // Assert: not the SDK's millisecond defaults, where every duration lands in the first buckets.
        histogram.UpperBounds.ShouldBe(MetricViews.DefaultSeconds);
        histogram.Counts[histogram.UpperBounds.ToList().IndexOf(0.025)].ShouldBe(1);
    }

    [Fact]
    public void Collect_HistogramInOtherUnitWithoutAdvice_KeepsTheSdkDefaults()
    {
        // Arrange
        var size = _meters.Meter.CreateHistogram<int>("widgetify.test.payload.size", "By");

        // Act
        size.Record(700);
        var histogram = _meters.Collector.Collect().Find("widgetify.test.payload.size")!.Series.ShouldHaveSingleItem().Histogram!;

        // Assert
        histogram.UpperBounds.ShouldContain(750);
        histogram.UpperBounds.ShouldNotContain(0.005);
    }

    [Fact]
    public void Collect_TagsInAnyOrder_ShareOneSeriesSortedByKey()
    {
        // Arrange
        var counter = _meters.Meter.CreateCounter<long>("requests");

        // Act
        counter.Add(1, new("b", "2"), new("a", "1"));
        counter.Add(1, new("a", "1"), new("b", "2"));
        var series = _meters.Collector.Collect().Find("requests")!.Series.ShouldHaveSingleItem();

        // Assert
        series.Value.ShouldBe(2);
        series.Tags.Select(t => t.Key).ShouldBe(["a", "b"]);
    }

    [Fact]
    public void Collect_NonStringTagValues_AreFormattedInvariantly()
    {
        // Arrange
        var counter = _meters.Meter.CreateCounter<long>("requests");

        // Act
        counter.Add(1, new("status", 503), new("ok", false), new("ratio", 0.5), new("mode", Mode.Degraded));
        var series = _meters.Collector.Collect().Find("requests")!.Series.ShouldHaveSingleItem();

        // Assert
        series.Tag("status").ShouldBe("503");
        series.Tag("ok").ShouldBe("false");
        series.Tag("ratio").ShouldBe("0.5");
        series.Tag("mode").ShouldBe("Degraded");
    }

    [Fact]
    public async Task Collect_ConcurrentCalls_EachGetsEveryInstrument()
    {
        // Arrange
        _meters.Meter.CreateObservableGauge("a", () => 1);
        _meters.Meter.CreateObservableGauge("b", () => 2);

        // Act
        var snapshots = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(_meters.Collector.Collect)));

        // Assert
        snapshots.ShouldAllBe(s => s.Families.Count == 2);
    }

    [Fact]
    public void Collect_Families_AreSortedByName()
    {
        // Arrange
        _meters.Meter.CreateObservableGauge("zeta", () => 1);
        _meters.Meter.CreateObservableGauge("alpha", () => 1);
        _meters.Meter.CreateObservableGauge("mid", () => 1);

        // Act
        var names = _meters.Collector.Collect().Families.Select(f => f.Name);

        // Assert
        names.ShouldBe(["alpha", "mid", "zeta"]);
    }

    [Fact]
    public void Collect_ReaderNotInAProvider_IsEmpty()
    {
        // Arrange
        var collector = new MetricsCollector();

        // Act
        var snapshot = collector.Collect();

        // Assert
        snapshot.Families.ShouldBeEmpty();
    }

    [Fact]
    public void Collect_MeterOfAnotherHostsFactory_IsIgnored()
    {
        // Arrange: two hosts in one process (integration tests), each with its provider from AddOpenTelemetry().
        var name = _meters.MeterName + ".Host";
        var ours = new MetricsCollector();
        using var ourHost = Host(name, ours);
        using var otherHost = Host(name, new MetricsCollector());
        ourHost.GetRequiredService<IMeterFactory>().Create(name).CreateObservableGauge("g", () => 1);
        otherHost.GetRequiredService<IMeterFactory>().Create(name).CreateObservableGauge("g", () => 2);

        // Act
        var series = ours.Collect().Find("g")!.Series;

        // Assert
        series.ShouldHaveSingleItem().Value.ShouldBe(1);
    }

    private static ServiceProvider Host(string meterName, MetricsCollector collector)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(meterName).AddWidgetifyViews().AddReader(collector.Reader));
        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<MeterProvider>();
        return provider;
    }
}
