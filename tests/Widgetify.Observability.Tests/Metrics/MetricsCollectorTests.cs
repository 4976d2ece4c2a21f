using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Tests.Metrics;

public sealed class MetricsCollectorTests : IDisposable
{
    private readonly TestMeters _meters = new();

    public void Dispose() => _meters.Dispose();

    private enum Mode
    {
        Degraded,
    }

    [Fact]
    public void Collect_Counter_SumsPerTagSetSinceListening()
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
    public void Collect_CounterGivenNegativeIncrement_IgnoresIt()
    {
        // Arrange
        var counter = _meters.Meter.CreateCounter<int>("c");

        // Act
        counter.Add(5);
        counter.Add(-3);

        // Assert
        _meters.Collector.Collect().Find("c")!.Series.ShouldHaveSingleItem().Value.ShouldBe(5);
    }

    [Fact]
    public void Collect_UpDownCounter_SumsUpAndDown()
    {
        // Arrange
        var inFlight = _meters.Meter.CreateUpDownCounter<int>("in_flight");

        // Act
        inFlight.Add(5);
        inFlight.Add(-2);
        var first = _meters.Collector.Collect();
        inFlight.Add(-3);
        var second = _meters.Collector.Collect();

        // Assert
        first.Find("in_flight")!.Kind.ShouldBe(MetricKind.UpDownCounter);
        first.Find("in_flight")!.Series.ShouldHaveSingleItem().Value.ShouldBe(3);
        second.Find("in_flight")!.Series.ShouldHaveSingleItem().Value.ShouldBe(0);
    }

    [Fact]
    public void Collect_Gauge_KeepsTheLastValue()
    {
        // Arrange
        var limit = _meters.Meter.CreateGauge<double>("widgetify.admission.limit");

        // Act
        limit.Record(10);
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
        _meters.Meter.CreateObservableUpDownCounter("db.client.connection.count", () => 4);

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
        second.Find("db.client.connection.count")!.Kind.ShouldBe(MetricKind.UpDownCounter);
        second.Find("db.client.connection.count")!.Series.ShouldHaveSingleItem().Value.ShouldBe(4);
    }

    [Fact]
    public void Collect_ObservableTagSetNotReportedAnyMore_IsDropped()
    {
        // Arrange
        var states = new Dictionary<string, int> { ["idle"] = 3, ["used"] = 5 };
        _meters.Meter.CreateObservableUpDownCounter("db.client.connection.count", () => states
            .Select(s => new Measurement<int>(s.Value, new KeyValuePair<string, object?>("db.client.connection.state", s.Key)))
            .ToList());
        var first = _meters.Collector.Collect();

        // Act
        states.Remove("used");
        var second = _meters.Collector.Collect();

        // Assert
        first.Find("db.client.connection.count")!.Series.Count.ShouldBe(2);
        var remaining = second.Find("db.client.connection.count")!.Series.ShouldHaveSingleItem();
        remaining.Tag("db.client.connection.state").ShouldBe("idle");
    }

    [Fact]
    public void Collect_ObservableCallbackThrows_OtherInstrumentsStillCollected()
    {
        // Arrange
        var fail = false;
        _meters.Meter.CreateObservableGauge("flaky", () => fail ? throw new InvalidOperationException("database gone") : 1);
        _meters.Meter.CreateObservableGauge("steady", () => 2);
        _meters.Collector.Collect();

        // Act
        fail = true;
        var snapshot = _meters.Collector.Collect();

        // Assert
        snapshot.Find("steady")!.Series.ShouldHaveSingleItem().Value.ShouldBe(2);
        snapshot.Find("flaky")!.Series.ShouldBeEmpty();
        _meters.Collector.LastObservationError!.InnerExceptions.ShouldHaveSingleItem().Message.ShouldBe("database gone");
    }

    [Fact]
    public void Find_MeterAndInstrumentName_PicksThatMetersInstrument()
    {
        // Arrange
        var name = $"Widgetify.Tests.Metrics.Second.{Guid.NewGuid():N}";
        using var collector = new MetricsCollector([_meters.MeterName, name]);
        using var second = new Meter(name);
        _meters.Meter.CreateCounter<int>("shared").Add(1);
        second.CreateCounter<int>("shared").Add(2);

        // Act
        var snapshot = collector.Collect();

        // Assert
        snapshot.Find(name, "shared")!.Series.ShouldHaveSingleItem().Value.ShouldBe(2);
        snapshot.Find(_meters.MeterName, "shared")!.Series.ShouldHaveSingleItem().Value.ShouldBe(1);
        snapshot.Find("Unknown.Meter", "shared").ShouldBeNull();
    }

    [Fact]
    public void Collect_SynchronousTagSetNotRecordedAgain_Stays()
    {
        // Arrange
        var counter = _meters.Meter.CreateCounter<long>("c");
        counter.Add(1, new KeyValuePair<string, object?>("k", "old"));
        _meters.Collector.Collect();

        // Act
        counter.Add(1, new KeyValuePair<string, object?>("k", "new"));
        var second = _meters.Collector.Collect();

        // Assert
        second.Find("c")!.Series.Select(s => s.Tag("k")).ShouldBe(["new", "old"]);
    }

    [Fact]
    public void Collect_HistogramWithAdvice_UsesTheAdvisedBounds()
    {
        // Arrange
        var histogram = _meters.Meter.CreateHistogram("http.server.request.duration", "s", null, null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1] });

        // Act
        histogram.Record(0.05);
        histogram.Record(0.1);
        histogram.Record(0.7);
        histogram.Record(30);
        histogram.Record(double.NaN);

        // Assert
        var value = _meters.Collector.Collect().Find("http.server.request.duration")!.Series.ShouldHaveSingleItem().Histogram!;
        value.UpperBounds.ShouldBe([0.1, 0.5, 1]);
        value.Counts.ShouldBe([2L, 0, 1, 1], "a bound is inclusive, as Prometheus' le; NaN is ignored");
        value.Count.ShouldBe(4);
        value.Sum.ShouldBe(30.85, 1e-9);
    }

    [Fact]
    public void Collect_IntegerHistogramWithAdvice_UsesTheAdvisedBounds()
    {
        // Arrange
        var histogram = _meters.Meter.CreateHistogram("sizes", "By", null, null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = [10, 100] });

        // Act
        histogram.Record(50);

        // Assert
        var value = _meters.Collector.Collect().Find("sizes")!.Series.ShouldHaveSingleItem().Histogram!;
        value.UpperBounds.ShouldBe([10d, 100]);
        value.Counts.ShouldBe([0L, 1, 0]);
    }

    [Fact]
    public void Collect_HistogramInSecondsWithoutAdvice_UsesOpenTelemetrySecondsDefaults()
    {
        // Arrange
        var histogram = _meters.Meter.CreateHistogram<double>("wait", "s");

        // Act
        histogram.Record(0.003);

        // Assert
        var value = _meters.Collector.Collect().Find("wait")!.Series.ShouldHaveSingleItem().Histogram!;
        value.UpperBounds.ShouldBe([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
        value.Counts[0].ShouldBe(1);
    }

    [Fact]
    public void Collect_HistogramInOtherUnitWithoutAdvice_UsesOpenTelemetryDefaults()
    {
        // Arrange
        var histogram = _meters.Meter.CreateHistogram<long>("wait", "ms");

        // Act
        histogram.Record(20_000);

        // Assert
        var value = _meters.Collector.Collect().Find("wait")!.Series.ShouldHaveSingleItem().Histogram!;
        value.UpperBounds.ShouldBe([0d, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]);
        value.Counts[^1].ShouldBe(1);
    }

    [Fact]
    public void Collect_EveryNumericType_IsRecorded()
    {
        // Arrange
        var meter = _meters.Meter;

        // Act
        meter.CreateCounter<byte>("byte").Add(1);
        meter.CreateCounter<short>("short").Add(2);
        meter.CreateCounter<int>("int").Add(3);
        meter.CreateCounter<long>("long").Add(4);
        meter.CreateCounter<float>("float").Add(5.5f);
        meter.CreateCounter<double>("double").Add(6.25);
        meter.CreateCounter<decimal>("decimal").Add(7.125m);
        meter.CreateHistogram<decimal>("decimal.histogram").Record(0.5m);
        meter.CreateHistogram<short>("short.histogram").Record(3);
        meter.CreateHistogram<byte>("byte.histogram").Record(4);

        // Assert
        var snapshot = _meters.Collector.Collect();
        double Value(string name) => snapshot.Find(name)!.Series.ShouldHaveSingleItem().Value;
        (Value("byte"), Value("short"), Value("int"), Value("long")).ShouldBe((1d, 2d, 3d, 4d));
        (Value("float"), Value("double"), Value("decimal")).ShouldBe((5.5d, 6.25d, 7.125d));
        snapshot.Find("decimal.histogram")!.Series[0].Histogram!.Sum.ShouldBe(0.5);
        snapshot.Find("short.histogram")!.Series[0].Histogram!.Sum.ShouldBe(3);
        snapshot.Find("byte.histogram")!.Series[0].Histogram!.Sum.ShouldBe(4);
    }

    [Fact]
    public void Collect_TagsInAnyOrder_ShareOneSeriesSortedByKey()
    {
        // Arrange
        var counter = _meters.Meter.CreateCounter<int>("c");

        // Act
        counter.Add(1, new("b", "2"), new("a", "1"));
        counter.Add(1, new("a", "1"), new("b", "2"));
        counter.Add(1, new TagList { { "b", "2" }, { "a", "1" } });

        // Assert
        var series = _meters.Collector.Collect().Find("c")!.Series.ShouldHaveSingleItem();
        series.Value.ShouldBe(3);
        series.Tags.ShouldBe([new("a", "1"), new("b", "2")]);
    }

    [Fact]
    public void Collect_NonStringTagValues_AreFormattedInvariantly()
    {
        // Arrange
        var counter = _meters.Meter.CreateCounter<int>("c");

        // Act
        counter.Add(1, new TagList
        {
            { "status", 503 }, { "ratio", 1.5 }, { "ok", true }, { "mode", Mode.Degraded }, { "none", null }, { "big", 12345678901L },
        });
        counter.Add(1, new TagList
        {
            { "status", "503" }, { "ratio", "1.5" }, { "ok", "true" }, { "mode", "Degraded" }, { "none", "" }, { "big", "12345678901" },
        });

        // Assert
        var series = _meters.Collector.Collect().Find("c")!.Series.ShouldHaveSingleItem("the same text is the same series");
        series.Value.ShouldBe(2);
        series.Tags.ShouldBe([new("big", "12345678901"), new("mode", "Degraded"), new("none", ""), new("ok", "true"), new("ratio", "1.5"), new("status", "503")]);
    }

    [Fact]
    public void Collect_ManyTagsLongValuesOrRepeatedKeys_TakeTheSlowPathToTheSameSeries()
    {
        // Arrange
        var counter = _meters.Meter.CreateCounter<int>("c");
        var many = new TagList();
        for (var i = 0; i < 20; i++)
        {
            many.Add($"k{i:00}", i);
        }

        var longValue = new string('x', 300);

        // Act
        counter.Add(1, many);
        counter.Add(1, many);
        counter.Add(1, new KeyValuePair<string, object?>("long", new LongText(longValue)));
        counter.Add(1, new KeyValuePair<string, object?>("long", longValue));
        counter.Add(1, new("dup", "first"), new("dup", "last"));
        counter.Add(1, new KeyValuePair<string, object?>("dup", "last"));

        // Assert
        var series = _meters.Collector.Collect().Find("c")!.Series;
        series.Count.ShouldBe(3);
        series.ShouldAllBe(s => s.Value == 2);
        series.Single(s => s.Tags.Count == 20).Tag("k07").ShouldBe("7");
        series.Single(s => s.Tag("dup") != null).Tag("dup").ShouldBe("last");
    }

    [Fact]
    public void Collect_PastTheSeriesLimit_FurtherTagSetsShareTheOverflowSeries()
    {
        // Arrange
        var counter = _meters.Meter.CreateCounter<long>("c");

        // Act
        for (var i = 0; i < MetricsCollector.MaxSeriesPerInstrument + 100; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("user", i));
        }

        counter.Add(1, new KeyValuePair<string, object?>("user", 0));

        // Assert
        var series = _meters.Collector.Collect().Find("c")!.Series;
        series.Count.ShouldBe(MetricsCollector.MaxSeriesPerInstrument);
        var overflow = series[^1];
        overflow.Tags.ShouldBe([new("otel.metric.overflow", "true")]);
        overflow.Value.ShouldBe(101, "1999 tag sets have series of their own, the other 101 overflow");
        series.Single(s => s.Tag("user") == "0").Value.ShouldBe(2, "a tag set with a series keeps it");
    }

    [Fact]
    public async Task Collect_ManyThreadsRecordingWhileCollecting_TotalsAreExact()
    {
        // Arrange
        const int Threads = 8;
        const int PerThread = 20_000;
        var counter = _meters.Meter.CreateCounter<long>("requests");
        var histogram = _meters.Meter.CreateHistogram("duration", "s", null, null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        using var start = new Barrier(Threads + 1);
        object[] statuses = [200, 404, 503];

        // Act
        var recorders = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                var tags = new TagList { { "http.route", "/r" + (i % 4) }, { "http.response.status_code", statuses[i % 3] } };
                counter.Add(1, tags);
                histogram.Record(i % 2 == 0 ? 0.05 : 0.5, tags);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        start.SignalAndWait();
        var collects = 0;
        while (!recorders.All(r => r.IsCompleted))
        {
            _meters.Collector.Collect(); // concurrently with the recorders: must neither throw nor lose counts
            collects++;
        }

        await Task.WhenAll(recorders);
        var snapshot = _meters.Collector.Collect();

        // Assert
        collects.ShouldBeGreaterThan(0);
        var requests = snapshot.Find("requests")!.Series;
        requests.Count.ShouldBe(12);
        requests.Sum(s => s.Value).ShouldBe(Threads * PerThread);
        var durations = snapshot.Find("duration")!.Series.Select(s => s.Histogram!).ToList();
        durations.Sum(h => h.Count).ShouldBe(Threads * PerThread);
        durations.Sum(h => h.Counts[0]).ShouldBe(Threads * PerThread / 2);
        durations.Sum(h => h.Sum).ShouldBe(Threads * PerThread / 2 * 0.55, 1e-6);
    }

    [Fact]
    public async Task Collect_ConcurrentCalls_EachSeeEveryObservableSeries()
    {
        // Arrange
        _meters.Meter.CreateObservableGauge("g", () => new[]
        {
            new Measurement<int>(1, new KeyValuePair<string, object?>("k", "a")),
            new Measurement<int>(2, new KeyValuePair<string, object?>("k", "b")),
        });

        // Act
        var counts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 200).Select(_ => _meters.Collector.Collect().Find("g")!.Series.Count).ToList())));

        // Assert
        counts.SelectMany(c => c).ShouldAllBe(c => c == 2);
    }

    [Fact]
    public void Record_KnownTagSet_AllocatesNothing()
    {
        // Arrange
        var histogram = _meters.Meter.CreateHistogram<double>("http.server.request.duration", "s");
        object status = 200;
        var tags = new TagList { { "http.route", "/widgets/{id}" }, { "http.request.method", "GET" }, { "http.response.status_code", status } };
        histogram.Record(0.01, tags); // creates the series

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            histogram.Record(0.01, tags);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        allocated.ShouldBe(0);
        _meters.Collector.Collect().Find("http.server.request.duration")!.Series.ShouldHaveSingleItem().Histogram!.Count.ShouldBe(1_001);
    }

    [Fact]
    public void Collect_MeterCreatedAfterConstruction_IsListenedTo()
    {
        // Arrange
        var name = $"Widgetify.Tests.Metrics.Late.{Guid.NewGuid():N}";
        using var collector = new MetricsCollector([name, "Some.Other.Meter"]);
        using var late = new Meter(name);

        // Act
        late.CreateCounter<int>("late.counter").Add(4);

        // Assert
        collector.Collect().Find("late.counter")!.Series.ShouldHaveSingleItem().Value.ShouldBe(4);
    }

    [Fact]
    public void Collect_MeterNotNamed_IsIgnored()
    {
        // Arrange
        using var other = new Meter($"Widgetify.Tests.Metrics.Other.{Guid.NewGuid():N}");

        // Act
        other.CreateCounter<int>("other.counter").Add(1);

        // Assert
        _meters.Collector.Collect().Find("other.counter").ShouldBeNull();
    }

    [Fact]
    public void Collect_MeterOfAnotherFactory_IsIgnored()
    {
        // Arrange
        var name = $"Widgetify.Tests.Metrics.Scoped.{Guid.NewGuid():N}";
        using var ours = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var theirs = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var collector = new MetricsCollector([name], ours.GetRequiredService<IMeterFactory>());
        using var unscoped = new Meter(name);

        // Act
        ours.GetRequiredService<IMeterFactory>().Create(name).CreateCounter<int>("c").Add(1);
        theirs.GetRequiredService<IMeterFactory>().Create(name).CreateCounter<int>("c").Add(10);
        unscoped.CreateCounter<int>("static").Add(100);

        // Assert
        var snapshot = collector.Collect();
        snapshot.Families.Where(f => f.Name == "c").ShouldHaveSingleItem().Series.ShouldHaveSingleItem().Value.ShouldBe(1);
        snapshot.Find("static")!.Series.ShouldHaveSingleItem().Value.ShouldBe(100, "static meters (Npgsql's) have no factory");
    }

    [Fact]
    public void Collect_MeterDisposed_ItsInstrumentsAreGone()
    {
        // Arrange
        var name = $"Widgetify.Tests.Metrics.Disposed.{Guid.NewGuid():N}";
        using var collector = new MetricsCollector([name]);
        var meter = new Meter(name);
        meter.CreateCounter<int>("c").Add(1);
        collector.Collect().Find("c").ShouldNotBeNull();

        // Act
        meter.Dispose();

        // Assert
        collector.Collect().Find("c").ShouldBeNull();
    }

    [Fact]
    public void Collect_InstrumentWithoutMeasurements_IsAFamilyWithoutSeries()
    {
        // Arrange
        _meters.Meter.CreateHistogram<double>("idle", "s");

        // Act
        var family = _meters.Collector.Collect().Find("idle");

        // Assert
        family.ShouldNotBeNull().Series.ShouldBeEmpty();
    }

    [Fact]
    public void Collect_AfterDispose_Throws()
    {
        // Arrange
        var name = $"Widgetify.Tests.Metrics.Gone.{Guid.NewGuid():N}";
        var collector = new MetricsCollector([name]);

        // Act
        collector.Dispose();

        // Assert
        Should.Throw<ObjectDisposedException>(collector.Collect);
    }

    [Fact]
    public void Collect_Families_AreSortedByName()
    {
        // Arrange
        _meters.Meter.CreateCounter<int>("b");
        _meters.Meter.CreateCounter<int>("a");
        _meters.Meter.CreateCounter<int>("c");

        // Act
        var names = _meters.Collector.Collect().Families.Select(f => f.Name);

        // Assert
        names.ShouldBe(["a", "b", "c"]);
    }

    /// <summary>A tag value whose text is too long for the hot path's stack buffer.</summary>
    private sealed class LongText(string text)
    {
        public override string ToString() => text;
    }
}
