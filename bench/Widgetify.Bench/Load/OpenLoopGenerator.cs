using System.Diagnostics;
using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Load;

/// <summary>
/// Sends the requests of an <see cref="OpenLoopSchedule"/> at their due times, each without waiting for the
/// earlier ones, and records each outcome with its latency measured from the due time (not from the send): a
/// request the generator sends late because it was itself behind still shows its full delay, which corrects
/// coordinated omission. At most <c>clients</c> requests are outstanding; one due beyond that is recorded as
/// <see cref="Outcome.NotSent"/> rather than silently delayed. The mix is the storm's unless <c>weights</c> says otherwise.
/// </summary>
internal sealed class OpenLoopGenerator(HttpClient client, RequestFactory requests, int clients, int seed, RequestWeights? weights = null)
{
    /// <summary>Hears of every 503 with its due time and the <c>reason</c> its problem body names (null when the body
    /// names none: HAProxy's own 503, or a body that is not the service's); null for nobody. Called on the thread that
    /// read the answer, so it must be thread-safe and cheap.</summary>
    public Action<double, string?>? OnServiceUnavailable { get; init; }

    private static readonly double TicksPerMicrosecond = Stopwatch.Frequency / 1_000_000.0;

    private readonly TaskCompletionSource<long> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int outstanding;

    /// <summary><see cref="Stopwatch"/> timestamp of the schedule's time zero (set when the run starts).</summary>
    public long StartTimestamp { get; private set; }

    /// <summary>Completes with <see cref="StartTimestamp"/> once the run has started, so that work timed from the
    /// schedule (the storm's onset) can start from the very same time zero.</summary>
    public Task<long> Started => started.Task;

    /// <summary>Requests sent and not yet answered.</summary>
    public int Outstanding => Volatile.Read(ref outstanding);

    /// <summary>Runs the whole schedule on a dedicated thread (the pacing loop must not queue behind the thread
    /// pool's completions), then waits up to <paramref name="drainTimeout"/> for the outstanding requests.</summary>
    /// <param name="schedule">When each request is due.</param>
    /// <param name="recorder">Where outcomes go.</param>
    /// <param name="drainTimeout">How long the requests still outstanding at the end may take.</param>
    /// <param name="cancellationToken">Stops everything: requests in flight are abandoned and not recorded.</param>
    /// <param name="stop">Ends the schedule early (a phase that runs until something happens): no request is sent after
    /// it, and the ones in flight finish and are recorded as usual.</param>
    public async Task RunAsync(
        OpenLoopSchedule schedule, LoadRecorder recorder, TimeSpan drainTimeout, CancellationToken cancellationToken, CancellationToken stop = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Pace(schedule, recorder, stop, cancellationToken);
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop pacing",
            Priority = ThreadPriority.AboveNormal,
        };
        thread.Start();
        await done.Task;

        var drainUntil = Stopwatch.GetTimestamp() + (long)(drainTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Outstanding > 0 && Stopwatch.GetTimestamp() < drainUntil && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private void Pace(OpenLoopSchedule schedule, LoadRecorder recorder, CancellationToken stop, CancellationToken cancellationToken)
    {
        var mix = new RequestMix(seed, requests.WidgetCount, weights, requests.PollCount, requests.UpdateCount);
        var start = Stopwatch.GetTimestamp();
        StartTimestamp = start;
        started.TrySetResult(start);
        var frequency = (double)Stopwatch.Frequency;
        long next = 0;
        var total = schedule.TotalRequests;
        while (next < total && !cancellationToken.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            var due = schedule.DueBy((now - start) / frequency);
            for (; next < due; next++)
            {
                var dueSeconds = schedule.DueAt(next, out var segment);
                var dueTimestamp = start + (long)(dueSeconds * frequency);
                if (Volatile.Read(ref outstanding) >= clients)
                {
                    recorder.Record(dueSeconds, Outcome.NotSent, 0);
                    continue;
                }

                var kind = mix.Next(out var widget);
                Interlocked.Increment(ref outstanding);
                recorder.RecordDispatchLag(schedule.Segments[segment].Phase, (long)((Stopwatch.GetTimestamp() - dueTimestamp) / TicksPerMicrosecond));
                // Not awaited: the request runs synchronously up to its first real I/O wait, then the loop goes on.
                _ = SendAsync(kind, widget, dueSeconds, dueTimestamp, recorder, cancellationToken);
            }

            if (next >= total)
            {
                break;
            }

            // Sleep unless the next request is due within 0.2 ms: a loop that spins between requests would burn a
            // core the service and PostgreSQL need. Sleeping ~1 ms may send a request up to ~1 ms late; that lag
            // is in its latency (measured from the due time) and reported on its own as the client's lag.
            var wait = schedule.DueAt(next, out _) - ((Stopwatch.GetTimestamp() - start) / frequency);
            if (wait > 0.0002)
            {
                Thread.Sleep(1);
            }
            else if (wait > 0)
            {
                Thread.Yield();
            }
        }
    }

    private async Task SendAsync(
        RequestKind kind, int widget, double dueSeconds, long dueTimestamp, LoadRecorder recorder, CancellationToken cancellationToken)
    {
        var outcome = Outcome.ConnectionError;
        var status = 0;
        var retryAfter = false;
        try
        {
            using var request = requests.Create(kind, widget);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            status = (int)response.StatusCode;
            outcome = ResponseClassifier.Classify(status);
            retryAfter = response.Headers.RetryAfter is not null;
            if (status == 503 && OnServiceUnavailable is { } heard)
            {
                heard(dueSeconds, ShedReason.Of(await response.Content.ReadAsStringAsync(cancellationToken)));
            }
        }
        catch (TaskCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The bench is being stopped: not the service's fault, not recorded.
            Interlocked.Decrement(ref outstanding);
            return;
        }
        catch (TaskCanceledException)
        {
            // HttpClient.Timeout elapsed.
            outcome = Outcome.Timeout;
        }
        catch (HttpRequestException)
        {
            outcome = Outcome.ConnectionError;
        }

        var latency = (long)((Stopwatch.GetTimestamp() - dueTimestamp) / TicksPerMicrosecond);
        Interlocked.Decrement(ref outstanding);
        recorder.Record(dueSeconds, outcome, latency, retryAfter, status);
    }
}
