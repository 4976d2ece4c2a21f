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
        // incident mitigated until the alerts have answered, then resolved with its draft on disk. The request timeout
        // runs on a fake clock: the hanging request fails when the test moves the clock, not after a real wait. With no
        // interval between polls, that one step is the only time the poller waits on the clock.
        var time = new TimerCountingFakeTimeProvider(MonitoringSamples.Onset);
        var onsetUtc = time.GetUtcNow();
        var draft = Path.Combine(postmortems, "20261121-1000-019aa6b1.md");
        await File.WriteAllTextAsync(draft, "# Postmortem draft");
        var alertCalls = 0;
        var incidentCalls = 0;
        var hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
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
                        await hanging.Task; // until the test ends: the poller has long given up on it
                        return (200, MonitoringSamples.ShiftedTo(MonitoringSamples.AlertsInStorm, onsetUtc));
                    case 2:
                        return (503, """{"title":"Service Unavailable","status":503}""");
                    case 3:
                        return (200, "<html>upstream hiccup</html>");
                    default:
                        return (200, MonitoringSamples.ShiftedTo(MonitoringSamples.AlertsInStorm, onsetUtc));
                }
            }

            if (request.Url.PathAndQuery == "/api/incidents?limit=20")
            {
                Interlocked.Increment(ref incidentCalls);
                return (200, MonitoringSamples.ShiftedTo(
                    Volatile.Read(ref alertCalls) < 4 ? MonitoringSamples.IncidentsMitigated : MonitoringSamples.IncidentsResolved(draft), onsetUtc));
            }

            return (404, "{}");
        });
        using var poller = Poller(server, new DetectionPollerOptions
        {
            Interval = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromSeconds(1),
            ResolutionWait = TimeSpan.FromSeconds(20),
        }, time);
        (await client.GetAsync(new Uri(server.BaseAddress, "/warm-up"))).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);

        // Act: once the first poll's incidents request is answered and its timeout disposed, the hanging alerts
        // request's timeout is the one armed timer; one request timeout later it fires.
        var polling = poller.RunAsync(Task.FromResult(time.GetTimestamp()), CancellationToken.None);
        poller.LoadEnded();
        try
        {
            await BoundedWait.UntilAsync(
                () => Volatile.Read(ref alertCalls) == 1 && Volatile.Read(ref incidentCalls) == 1 && time.ArmedTimers == 1,
                () => $"{alertCalls} alerts and {incidentCalls} incidents request(s), {time.ArmedTimers} timer(s), polling {polling.Status}",
                "the first alerts request hangs on its timeout alone");
            time.Advance(TimeSpan.FromSeconds(1));
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
        finally
        {
            hanging.TrySetResult();
        }
    }

    [Fact]
    public async Task RunAsync_EveryAnswer503_EndsAfterTheWaitWithEveryRequestCountedFailed()
    {
        // On a fake clock the poller waits exactly one interval between polls, until the resolution wait has passed. The
        // requests have no timeout of their own here, so the only armed timer is the wait between polls.
        var time = new TimerCountingFakeTimeProvider(MonitoringSamples.Onset);
        await using var server = new LoopbackServer(_ => Task.FromResult((503, """{"status":503}""")));
        using var poller = Poller(server, new DetectionPollerOptions
        {
            Interval = TimeSpan.FromMilliseconds(50),
            RequestTimeout = Timeout.InfiniteTimeSpan,
            ResolutionWait = TimeSpan.FromMilliseconds(500),
        }, time);

        var polling = poller.RunAsync(Task.FromResult(time.GetTimestamp()), CancellationToken.None);
        poller.LoadEnded();
        while (true)
        {
            await BoundedWait.UntilAsync(
                () => polling.IsCompleted || time.ArmedTimers == 1,
                () => $"{time.ArmedTimers} timer(s), polling {polling.Status}",
                "the poller waits for its next poll or is done");
            if (polling.IsCompleted)
            {
                break;
            }

            time.Advance(TimeSpan.FromMilliseconds(50));
        }

        var result = await polling.WaitAsync(Bound);

        result.Polls.ShouldBe(11, "one at the onset, then one every 50 ms until 500 ms");
        result.PollFailures.ShouldBe(2 * result.Polls);
        result.LastPollFailure!.ShouldContain("503");
        result.FirstAlert.ShouldBeNull();
        result.Incident.ShouldBeNull();
        result.WaitedAfterLoadSeconds.ShouldBe(0.5);
    }

    [Fact]
    public async Task RunAsync_OnsetOnAFakeClock_OnsetUtcIsThatInstantAndSecondsCountFromIt()
    {
        // The service's times are UTC wall clock; the onset is a timestamp. At the onset the fake clock reads exactly
        // MonitoringSamples.Onset, so the seconds to the first alert are exactly the sample's.
        var time = new TimerCountingFakeTimeProvider(MonitoringSamples.Onset.AddSeconds(-2));
        await using var server = new LoopbackServer(request => Task.FromResult(request.Url!.AbsolutePath == "/api/alerts"
            ? (200, MonitoringSamples.AlertsAfterStorm)
            : (200, MonitoringSamples.IncidentsMitigated)));
        using var poller = Poller(server, new DetectionPollerOptions { ResolutionWait = TimeSpan.Zero }, time);
        var onset = time.GetTimestamp() + (2 * time.TimestampFrequency);

        var polling = poller.RunAsync(Task.FromResult(onset), CancellationToken.None);
        poller.LoadEnded();
        await BoundedWait.UntilAsync(() => time.ArmedTimers > 0, () => polling.Status.ToString(), "the poller waits for the onset");
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
        var time = new TimerCountingFakeTimeProvider(MonitoringSamples.Onset);
        await using var server = new LoopbackServer(_ => Task.FromResult((200, "{}")));
        using var poller = Poller(server, new DetectionPollerOptions(), time);
        var polling = poller.RunAsync(Task.FromResult(time.GetTimestamp() + (3600 * time.TimestampFrequency)), CancellationToken.None);

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
