using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Widgetify.Core.Traffic;
using Widgetify.Observability.Database;
using Widgetify.Observability.Metrics;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Tests.Signals;

/// <summary>Real instruments under the real meter names, each test on a meter factory of its own (the host's
/// OpenTelemetry meter provider only sees its factory's meters), read by a real <see cref="MetricsCollector"/> through
/// Widgetify's views.</summary>
public sealed class SignalSamplerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2024, 2, 15, 8, 0, 0, TimeSpan.Zero);
    private const string NpgsqlStandIn = "Widgetify.Tests.Npgsql";
    private readonly ServiceProvider _services;
    private readonly MetricsCollector _collector = new();
    private readonly Histogram<double> _http;
    private readonly Counter<long> _shed;
    private readonly Histogram<double> _acquire;
    private readonly Histogram<double> _hold;
    private readonly SignalSampler _sampler = new("widgetify-primary", "widgetify");
    private readonly DatabaseWriteFailures _writeFailures;
    private long _used;

    public SignalSamplerTests()
    {
        var services = new ServiceCollection().AddMetrics();
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter("Microsoft.AspNetCore.Hosting", "Widgetify.AdmissionControl", "Widgetify.PoolGovernance", NpgsqlStandIn, DatabaseMetrics.MeterName)
            .AddWidgetifyViews()
            .AddReader(_collector.Reader));
        _services = services.BuildServiceProvider();
        _services.GetRequiredService<MeterProvider>();
        var factory = _services.GetRequiredService<IMeterFactory>();
        _http = factory.Create("Microsoft.AspNetCore.Hosting").CreateHistogram<double>("http.server.request.duration", "s");
        _shed = factory.Create("Widgetify.AdmissionControl").CreateCounter<long>("widgetify.admission.shed", "{request}");
        _acquire = factory.Create("Widgetify.PoolGovernance").CreateHistogram<double>("widgetify.pool.acquire.duration", "s");
        _hold = factory.Create("Widgetify.PoolGovernance").CreateHistogram<double>("widgetify.pool.hold.duration", "s");
        _writeFailures = new DatabaseWriteFailures(factory, TimeProvider.System);
        // Npgsql's own meter is static and seen by every collector in the process (other tests open real pools):
        // the stand-in has another meter name; the sampler reads instruments by their name.
        factory.Create(NpgsqlStandIn).CreateObservableUpDownCounter("db.client.connection.count", () => new[]
        {
            new Measurement<long>(_used, new("db.client.connection.pool.name", "widgetify-primary"), new("db.client.connection.state", "used")),
            new Measurement<long>(7, new("db.client.connection.pool.name", "widgetify-control"), new("db.client.connection.state", "used")),
        });
    }

    public void Dispose()
    {
        _services.Dispose();
    }

    private void Request(string route, int status, double seconds) =>
        _http.Record(seconds, new("http.route", route), new("http.response.status_code", status), new("http.request.method", "GET"));

    /// <summary>A request to an endpoint marked ForOperators, tagged as UseTrafficTagging tags it.</summary>
    private void OperatorRequest(string route, int status, double seconds) =>
        _http.Record(
            seconds, new("http.route", route), new("http.response.status_code", status), new("http.request.method", "GET"),
            new(TrafficExtensions.TrafficTag, TrafficExtensions.OperatorTagValue));

    private static DatabaseSample Database(DateTimeOffset at, long commits = 0, bool full = false) => new()
    {
        At = at,
        Up = true,
        Full = full,
        MaxConnections = 100,
        Commits = commits,
        Backends = [new("active", "widgetify", 5), new("idle", "widgetify-control", 1), new("idle", "psql", 2)],
    };

    [Fact]
    public void Sample_MixedResponses_SplitsServedFailedAndShed()
    {
        // Arrange: the first sample sets the starting point.
        _sampler.Sample(_collector.Collect(), Database(T0), T0);
        Request("/w/{id}", 200, 0.004);
        Request("/w/{id}", 200, 0.006);
        Request("/api/widgets", 500, 0.02);
        Request("/w/{id}", 503, 0.0005);
        Request("/w/{id}", 503, 3.0);
        _shed.Add(1);

        // Act
        var snapshot = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1)), T0.AddSeconds(1));

        // Assert: two 503s, one of them shed; served = every status but 503.
        snapshot.Requests.ShouldBe(5);
        snapshot.Shed.ShouldBe(1);
        snapshot.ServerErrors.ShouldBe(2, "the 500 and the 503 that was not shed");
        snapshot.BadRequests.ShouldBe(3);
        snapshot.Latency.Count.ShouldBe(5);
        snapshot.ServedLatency.Count.ShouldBe(3);
        snapshot.Interval.ShouldBe(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Sample_ShedWithoutA503InTheInterval_CountsTheShedAsARequest()
    {
        // Arrange: the tester's "Shedding engaged: 1 of 0 requests shed": a shed counted in widgetify.admission.shed
        // whose 503 the request histogram does not have in this interval (a SIGSTOPped process, a cut response), beside
        // one 503 that is a shed and one served request.
        _sampler.Sample(_collector.Collect(), Database(T0), T0);
        Request("/w/{id}", 200, 0.004);
        Request("/w/{id}", 503, 0.0005);
        _shed.Add(3);

        // Act
        var snapshot = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1)), T0.AddSeconds(1));
        var ratio = new[] { snapshot }.ShedRatio();

        // Assert: every shed is a request answered; no share exceeds the whole.
        snapshot.Shed.ShouldBe(3);
        snapshot.Requests.ShouldBe(4, "the 200 and the three sheds, the 503 among them counted once");
        snapshot.BadRequests.ShouldBeLessThanOrEqualTo(snapshot.Requests);
        ratio.ShouldBe(0.75);
    }

    [Fact]
    public void Sample_ShedsAnswerInTheNextInterval_CountedOnceAndNotAsFailures()
    {
        // Arrange: admission shed two requests at the end of one interval; their 503s completed in the next.
        _sampler.Sample(_collector.Collect(), Database(T0), T0);
        Request("/w/{id}", 200, 0.004);
        _shed.Add(2);
        var first = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1)), T0.AddSeconds(1));
        Request("/w/{id}", 503, 0.0005);
        Request("/w/{id}", 503, 0.0005);
        Request("/api/widgets", 500, 0.02);

        // Act
        var second = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(2)), T0.AddSeconds(2));

        // Assert: three requests and two sheds in all, the late 503s neither counted again nor taken for failures.
        (first.Requests, first.Shed, first.ServerErrors).ShouldBe((3L, 2L, 0L));
        (second.Requests, second.Shed, second.ServerErrors).ShouldBe((1L, 0L, 1L));
    }

    [Fact]
    public void Sample_FailureBesideAShedStillToBeAnswered_IsCountedAsAFailure()
    {
        // Arrange: two sheds in the interval, one answered (its 503 recorded) and one not yet, beside a real 500.
        _sampler.Sample(_collector.Collect(), Database(T0), T0);
        Request("/w/{id}", 503, 0.0005);
        Request("/api/widgets", 500, 0.02);
        _shed.Add(2);

        // Act
        var snapshot = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1)), T0.AddSeconds(1));

        // Assert: the 500 is a failure; only the answered shed's 503 is set against the 5xx.
        (snapshot.Requests, snapshot.Shed, snapshot.ServerErrors).ShouldBe((3L, 2L, 1L));
    }

    [Fact]
    public void Sample_ClientsGaveUp_Counts499AsClientClosedNotAsFailedOrServed()
    {
        // Arrange: a storm's end: one served, one shed, two whose clients went away (recorded 499 by UseClientClosedStatus)
        _sampler.Sample(_collector.Collect(), Database(T0), T0);
        Request("/w/{id}", 200, 0.004);
        Request("/w/{id}", 503, 0.0005);
        _shed.Add(1);
        Request("/w/{id}", 499, 1.5);
        Request("/api/widgets", 499, 0.7);

        // Act
        var snapshot = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1)), T0.AddSeconds(1));

        // Assert: the 499s are their own class: requests, but neither 5xx nor bad (availability) nor served latency
        snapshot.Requests.ShouldBe(4);
        snapshot.ClientClosed.ShouldBe(2);
        snapshot.ServerErrors.ShouldBe(0);
        snapshot.Shed.ShouldBe(1);
        snapshot.BadRequests.ShouldBe(1, "only the shed request");
        snapshot.ServedLatency.Count.ShouldBe(1, "only the 200");
        snapshot.Latency.Count.ShouldBe(4);
    }

    [Fact]
    public void Sample_WritesRefused_CountsEachIntervalsRefusalsBySqlState()
    {
        // Arrange
        _sampler.Sample(_collector.Collect(), Database(T0), T0);
        _writeFailures.Record(new Npgsql.PostgresException("could not extend file", "ERROR", "ERROR", "53100"));
        _writeFailures.Record(new Npgsql.PostgresException("could not extend file", "ERROR", "ERROR", "53100"));
        _writeFailures.Record(new Npgsql.PostgresException("deadlock detected", "ERROR", "ERROR", "40P01"));

        // Act
        var first = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1)), T0.AddSeconds(1));
        _writeFailures.Record(new Npgsql.PostgresException("could not extend file", "ERROR", "ERROR", "53100"));
        var second = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(2)), T0.AddSeconds(2));
        var third = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(3)), T0.AddSeconds(3));

        // Assert: the codes reported at 0 from the start count nothing until they rise
        first.WriteFailures.ShouldBe(new Dictionary<string, long> { ["53100"] = 2, ["40P01"] = 1 }, ignoreOrder: true);
        second.WriteFailures.ShouldBe(new Dictionary<string, long> { ["53100"] = 1 });
        third.WriteFailures.ShouldBeEmpty();
    }

    [Fact]
    public void Sample_TwoIntervals_CountsOnlyEachIntervalsRequests()
    {
        _sampler.Sample(_collector.Collect(), Database(T0), T0);
        Request("/w/{id}", 200, 0.004);
        Request("/w/{id}", 200, 0.004);
        var first = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1)), T0.AddSeconds(1));
        Request("/w/{id}", 200, 0.004);

        var second = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(2)), T0.AddSeconds(2));

        first.Requests.ShouldBe(2);
        second.Requests.ShouldBe(1);
    }

    [Fact]
    public void Sample_OperatorTaggedRequests_AreNotUserTraffic()
    {
        _sampler.Sample(_collector.Collect(), Database(T0), T0);
        OperatorRequest("/metrics", 200, 0.9);
        OperatorRequest("/api/alerts", 200, 0.9);
        OperatorRequest("/health/ready", 503, 0.9);
        Request("/w/{id}", 200, 0.004);
        Request("/api/widgets", 200, 0.004); // a route no longer decides: only the marker does

        var snapshot = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1)), T0.AddSeconds(1));

        snapshot.Requests.ShouldBe(2);
    }

    [Fact]
    public void Sample_PoolAndServer_ReadsTheRequestPoolAndTheServerSample()
    {
        _used = 4;
        _sampler.Sample(_collector.Collect(), Database(T0, commits: 100), T0);
        _acquire.Record(0.2);

        var snapshot = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1), commits: 130), T0.AddSeconds(1));

        snapshot.PoolUsed.ShouldBe(4, "the control pool's 7 are not the request pool's");
        snapshot.AcquireWait.Count.ShouldBe(1);
        snapshot.DatabaseUp.ShouldBeTrue();
        snapshot.ServerConnections.ShouldBe(8);
        snapshot.WidgetifyServerConnections.ShouldBe(6);
        snapshot.MaxConnections.ShouldBe(100);
        snapshot.Commits.ShouldBe(30);
    }

    [Fact]
    public void Sample_ConnectionsReturned_HoldTimeHasOnlyTheIntervalsHolds()
    {
        // Arrange: one hold before the starting point, three in the first interval, one in the second.
        _hold.Record(9.0);
        _sampler.Sample(_collector.Collect(), Database(T0), T0);
        _hold.Record(0.003);
        _hold.Record(0.004);
        _hold.Record(0.6);
        var first = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(1)), T0.AddSeconds(1));
        _hold.Record(0.02);

        // Act
        var second = _sampler.Sample(_collector.Collect(), Database(T0.AddSeconds(2)), T0.AddSeconds(2));

        // Assert: counts are the intervals' own, and the slow hold lands in the (0.5, 0.75] bucket.
        first.HoldTime.Count.ShouldBe(3);
        first.HoldTime.Quantile(0.99)!.Value.ShouldBeInRange(0.5, 0.75);
        first.AcquireWait.Count.ShouldBe(0, "holds are not acquires");
        second.HoldTime.Count.ShouldBe(1);
        second.HoldTime.Quantile(0.5)!.Value.ShouldBeInRange(0.01, 0.025);
    }

    [Fact]
    public void Sample_ServerFull_CountsItAtItsLimit()
    {
        var snapshot = _sampler.Sample(_collector.Collect(), Database(T0, full: true), T0);

        snapshot.DatabaseUp.ShouldBeTrue();
        snapshot.ServerConnections.ShouldBe(100);
        snapshot.WidgetifyServerConnections.ShouldBeNull("a full server said nothing about who holds its connections");
    }

    [Fact]
    public void Sample_DatabaseDown_HasNoServerFigures()
    {
        var snapshot = _sampler.Sample(_collector.Collect(), new DatabaseSample { At = T0, Up = false, Error = "no answer" }, T0);

        snapshot.DatabaseUp.ShouldBeFalse();
        snapshot.ServerConnections.ShouldBeNull();
        snapshot.MaxConnections.ShouldBeNull();
    }

    [Fact]
    public void Sample_NoDatabaseSampleYet_IsDown()
    {
        _sampler.Sample(_collector.Collect(), null, T0).DatabaseUp.ShouldBeFalse();
    }
}
