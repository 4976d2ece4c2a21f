using System.Globalization;
using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Detection;

/// <summary>
/// Polls the service's <c>/api/alerts</c> and <c>/api/incidents</c> (operator key; both bypass admission control)
/// from the storm's onset until the load has ended and the incident has resolved, or until
/// <see cref="DetectionPollerOptions.ResolutionWait"/> after the load, whichever comes first. A failed poll (a timeout
/// in the storm, a 503, a body it cannot read) is counted and polling goes on: the report says how many failed.
/// </summary>
internal sealed class DetectionPoller(
    HttpClient client, Uri baseAddress, string operatorKey, string? postmortemDirectory, DetectionPollerOptions options, TimeProvider time)
    : IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly MonitoringClient monitoring = new(client, baseAddress, operatorKey, options.RequestTimeout, time);
    private readonly Lock gate = new();
    private long? loadEndedTimestamp; // a timestamp may be 0 (a manual clock's start), so null means "not yet"

    /// <summary>Says the load is over: from now on polling stops once the incident has resolved, or after the wait.</summary>
    public void LoadEnded()
    {
        lock (gate)
        {
            loadEndedTimestamp ??= time.GetTimestamp();
        }
    }

    /// <summary>Stops polling at once (the load failed); <see cref="RunAsync"/> then ends with cancellation.</summary>
    public void Stop() => stop.Cancel();

    /// <summary>Waits for the onset, then polls until done.</summary>
    /// <param name="onsetTimestamp">The onset as a timestamp of the injected <see cref="TimeProvider.GetTimestamp"/>
    /// (for <see cref="TimeProvider.System"/>, a <see cref="System.Diagnostics.Stopwatch"/> timestamp, which is what the
    /// load generator uses); a task because the generator only knows its start once it has started.</param>
    /// <param name="cancellationToken">Cancels the polling.</param>
    public async Task<DetectionResult> RunAsync(Task<long> onsetTimestamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onsetTimestamp);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stop.Token);
        var token = linked.Token;
        var onset = await onsetTimestamp.WaitAsync(token);
        var untilOnset = time.GetElapsedTime(time.GetTimestamp(), onset);
        if (untilOnset > TimeSpan.Zero)
        {
            await Task.Delay(untilOnset, time, token);
        }

        // Time base: the bench paces and times its load with Stopwatch, the service stamps alerts and incidents with
        // its UTC wall clock. Both run on this machine, so the onset is converted once to UTC (the wall clock now, less
        // the Stopwatch time elapsed since the onset, which corrects for a late wake-up) and every comparison is then
        // made in UTC between service times and that instant. Nothing compares Stopwatch readings with service times.
        var tracker = new DetectionTracker(OnsetUtc(time.GetUtcNow(), time.GetElapsedTime(onset)), options.IncidentSlack);
        while (true)
        {
            var tick = time.GetTimestamp();
            await PollOnceAsync(tracker, token);
            long? ended;
            lock (gate)
            {
                ended = loadEndedTimestamp;
            }

            if (ended is { } end && (tracker.Settled || time.GetElapsedTime(end) >= options.ResolutionWait))
            {
                return tracker.Result(options.ResolutionWait.TotalSeconds, time.GetElapsedTime(end).TotalSeconds);
            }

            var rest = options.Interval - time.GetElapsedTime(tick);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, time, token);
            }
        }
    }

    /// <summary>The UTC instant of an onset <paramref name="sinceOnset"/> before <paramref name="utcNow"/>.</summary>
    internal static DateTimeOffset OnsetUtc(DateTimeOffset utcNow, TimeSpan sinceOnset) => utcNow.ToUniversalTime() - sinceOnset;

    public void Dispose() => stop.Dispose();

    private async Task PollOnceAsync(DetectionTracker tracker, CancellationToken token)
    {
        // Both at once, so an incidents query queued behind a saturated database does not delay the alerts.
        var alerts = monitoring.GetAsync("/api/alerts", MonitoringJson.ParseAlerts, token);
        var incidents = monitoring.GetAsync(
            string.Create(CultureInfo.InvariantCulture, $"/api/incidents?limit={options.IncidentLimit}"), MonitoringJson.ParseIncidents, token);
        await Task.WhenAll(alerts, incidents);
        tracker.CountPoll();
        var now = time.GetUtcNow();
        Apply(await alerts, tracker, a => tracker.Observe(a, now));
        Apply(await incidents, tracker, tracker.Observe);
        if (tracker.Incident is { IsResolved: true } incident && tracker.PostmortemFile is null
            && PostmortemFiles.Find(incident, postmortemDirectory) is { } draft)
        {
            tracker.PostmortemFound(draft);
        }
    }

    private static void Apply<T>((T? Value, string? Failure) outcome, DetectionTracker tracker, Action<T> observe)
    {
        if (outcome.Failure is not null)
        {
            tracker.Failed(outcome.Failure);
        }
        else
        {
            observe(outcome.Value!);
        }
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
