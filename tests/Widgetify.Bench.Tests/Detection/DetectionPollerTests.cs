using Widgetify.Bench.Detection;

namespace Widgetify.Bench.Tests.Detection;

public sealed class DetectionPollerTests : IDisposable
{
    private const string OperatorKey = "wgt_op_test";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string postmortems = Directory.CreateTempSubdirectory("widgetify-bench-postmortems-").FullName;
    private readonly HttpClient client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task RunAsync_AlertsTimeOutThen503ThenGarbage_FailuresCountedAndTheStormStillMeasured()
    {
        // Arrange: /api/alerts hangs, then answers 503, then nonsense, then the storm's alerts; /api/incidents shows the
        // incident mitigated until the alerts have answered, then resolved with its draft on disk.
        var onsetUtc = DateTimeOffset.UtcNow;
        var draft = Path.Combine(postmortems, "20261121-1000-019aa6b1.md");
        await File.WriteAllTextAsync(draft, "# Postmortem draft");
        var alertCalls = 0;
        await using var server = new LoopbackServer(async request =>
        {
            if (request.Headers["Authorization"] != "Bearer " + OperatorKey)
            {
                return (401, """{"title":"Unauthorized"}""");
            }

            if (request.Url!.AbsolutePath == "/api/alerts")
            {
                switch (Interlocked.Increment(ref alertCalls))
                {
                    case 1:
                        await Task.Delay(TimeSpan.FromSeconds(5));
                        return (200, MonitoringSamples.ShiftedTo(MonitoringSamples.AlertsInStorm, onsetUtc));
                    case 2:
                        return (503, """{"title":"Service Unavailable","status":503}""");
                    case 3:
                        return (200, "<html>upstream hiccup</html>");
                    default:
                        return (200, MonitoringSamples.ShiftedTo(MonitoringSamples.AlertsInStorm, onsetUtc));
                }
            }

            return request.Url.PathAndQuery == "/api/incidents?limit=20"
                ? (200, MonitoringSamples.ShiftedTo(
                    Volatile.Read(ref alertCalls) < 4 ? MonitoringSamples.IncidentsMitigated : MonitoringSamples.IncidentsResolved(draft), onsetUtc))
                : (404, "{}");
        });
        using var poller = Poller(server, new DetectionPollerOptions
        {
            Interval = TimeSpan.FromMilliseconds(50),
            RequestTimeout = TimeSpan.FromSeconds(1),
            ResolutionWait = TimeSpan.FromSeconds(20),
        }, TimeProvider.System);
        (await client.GetAsync(new Uri(server.BaseAddress, "/warm-up"))).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);

        // Act
        var polling = poller.RunAsync(Task.FromResult(TimeProvider.System.GetTimestamp()), CancellationToken.None);
        poller.LoadEnded();
        var result = await polling.WaitAsync(Bound);

        // Assert
        result.PollFailures.ShouldBe(3, result.LastPollFailure);
        result.LastPollFailure!.ShouldContain("GET /api/alerts: unreadable body");
        result.Polls.ShouldBeGreaterThanOrEqualTo(4);
        result.FirstAlert.ShouldBe("SheddingActive");
        result.SecondsToFirstAlert.ShouldNotBeNull();
        result.FiringAtOnset.ShouldBe(["ConnectionWaits"]);
        var incident = result.Incident.ShouldNotBeNull();
        incident.Id.ShouldBe(MonitoringSamples.StormIncident);
        incident.Resolved.ShouldBeTrue();
        incident.PostmortemWritten.ShouldBeTrue();
        incident.PostmortemFile.ShouldBe(draft);
        result.WaitedAfterLoadSeconds.ShouldBeLessThan(20, "it stops once the incident resolved with its draft");
    }

    [Fact]
    public async Task RunAsync_EveryAnswer503_EndsAfterTheWaitWithEveryRequestCountedFailed()
    {
        await using var server = new LoopbackServer(_ => Task.FromResult((503, """{"status":503}""")));
        using var poller = Poller(server, new DetectionPollerOptions
        {
            Interval = TimeSpan.FromMilliseconds(50),
            ResolutionWait = TimeSpan.FromMilliseconds(500),
        }, TimeProvider.System);

        var polling = poller.RunAsync(Task.FromResult(TimeProvider.System.GetTimestamp()), CancellationToken.None);
        poller.LoadEnded();
        var result = await polling.WaitAsync(Bound);

        result.Polls.ShouldBeGreaterThanOrEqualTo(1);
        result.PollFailures.ShouldBe(2 * result.Polls);
        result.LastPollFailure!.ShouldContain("503");
        result.FirstAlert.ShouldBeNull();
        result.Incident.ShouldBeNull();
        result.WaitedAfterLoadSeconds.ShouldBeGreaterThanOrEqualTo(0.5);
    }

    [Fact]
    public async Task RunAsync_OnsetOnAManualClock_OnsetUtcIsThatInstantAndSecondsCountFromIt()
    {
        // The service's times are UTC wall clock; the onset is a timestamp. At the onset the manual clock reads exactly
        // MonitoringSamples.Onset, so the seconds to the first alert are exactly the sample's.
        var time = new ManualTimeProvider(MonitoringSamples.Onset.AddSeconds(-2));
        await using var server = new LoopbackServer(request => Task.FromResult(request.Url!.AbsolutePath == "/api/alerts"
            ? (200, MonitoringSamples.AlertsAfterStorm)
            : (200, MonitoringSamples.IncidentsMitigated)));
        using var poller = Poller(server, new DetectionPollerOptions { ResolutionWait = TimeSpan.Zero }, time);
        var onset = time.GetTimestamp() + (2 * time.TimestampFrequency);

        var polling = poller.RunAsync(Task.FromResult(onset), CancellationToken.None);
        poller.LoadEnded();
        await BoundedWait.UntilAsync(() => time.ActiveTimers > 0, () => polling.Status.ToString(), "the poller waits for the onset");
        polling.IsCompleted.ShouldBeFalse("nothing is polled before the onset");
        time.Advance(TimeSpan.FromSeconds(2));
        var result = await polling.WaitAsync(Bound);

        result.OnsetUtc.ShouldBe(MonitoringSamples.Onset);
        result.FirstAlert.ShouldBe("DbConnectionsNearLimit");
        result.SecondsToFirstAlert!.Value.ShouldBe(1.5, 1e-9);
        result.Incident!.MitigatedAfterOnsetSeconds!.Value.ShouldBe(7.4, 1e-9);
        result.Polls.ShouldBe(1);
    }

    [Fact]
    public async Task RunAsync_StoppedBeforeOnset_Cancelled()
    {
        await using var server = new LoopbackServer(_ => Task.FromResult((200, "{}")));
        using var poller = Poller(server, new DetectionPollerOptions(), TimeProvider.System);
        var polling = poller.RunAsync(Task.FromResult(TimeProvider.System.GetTimestamp() + (3600 * TimeProvider.System.TimestampFrequency)), CancellationToken.None);

        poller.Stop();

        await Should.ThrowAsync<OperationCanceledException>(polling.WaitAsync(Bound));
    }

    [Fact]
    public void OnsetUtc_WokenLate_SubtractsTheTimeSinceOnset()
    {
        var now = new DateTimeOffset(2026, 11, 21, 11, 0, 0, 250, TimeSpan.FromHours(1));

        DetectionPoller.OnsetUtc(now, TimeSpan.FromMilliseconds(250)).ShouldBe(MonitoringSamples.Onset);
        DetectionPoller.OnsetUtc(now, TimeSpan.FromMilliseconds(250)).Offset.ShouldBe(TimeSpan.Zero);
    }

    public void Dispose()
    {
        client.Dispose();
        Directory.Delete(postmortems, recursive: true);
    }

    private DetectionPoller Poller(LoopbackServer server, DetectionPollerOptions options, TimeProvider time) =>
        new(client, server.BaseAddress, OperatorKey, postmortems, options, time);
}
