using Widgetify.Bench.Detection;

namespace Widgetify.Bench.Scale;

/// <summary>
/// Polls <c>GET /api/scaling</c> every <c>interval</c> for the whole run and keeps every answer: the timeline of the
/// servers' states, lag and reads served, and of the decisions. A failed poll is counted and skipped (the service
/// may be busy with a surge; the operator endpoints bypass admission control, but not the CPU). The phases wait on it
/// for what they need to see (<see cref="WaitUntilAsync"/>), woken by each new sample rather than polling it.
/// </summary>
internal sealed class ScalingSampler(MonitoringClient client, TimeSpan interval, TimeProvider time)
{
    /// <summary>Decisions asked for in each poll: more than one run makes.</summary>
    internal const int DecisionLimit = 20;

    private readonly Lock gate = new();
    private readonly List<ScalingSample> samples = [];
    private TaskCompletionSource next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int polls;
    private int failures;
    private string? lastFailure;

    public int Polls => Volatile.Read(ref polls);

    public int Failures => Volatile.Read(ref failures);

    public string? LastFailure => Volatile.Read(ref lastFailure);

    /// <summary>Every sample so far, oldest first (a copy).</summary>
    public IReadOnlyList<ScalingSample> Samples
    {
        get
        {
            lock (gate)
            {
                return [.. samples];
            }
        }
    }

    public ScalingSample? Latest
    {
        get
        {
            lock (gate)
            {
                return samples.Count > 0 ? samples[^1] : null;
            }
        }
    }

    /// <summary>Polls until cancelled, one request at a time, a poll starting every <c>interval</c> (or at once after a slow one).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            var (status, failure) = await client.GetAsync(
                FormattableString.Invariant($"/api/scaling?limit={DecisionLimit}"), ScalingStatus.Parse, cancellationToken);
            Interlocked.Increment(ref polls);
            if (status is null)
            {
                Interlocked.Increment(ref failures);
                Volatile.Write(ref lastFailure, failure);
                continue;
            }

            Record(new ScalingSample(time.GetUtcNow(), status));
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    /// <summary>Adds a sample and wakes the waiters.</summary>
    internal void Record(ScalingSample sample)
    {
        TaskCompletionSource woken;
        lock (gate)
        {
            samples.Add(sample);
            woken = next;
            next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        woken.TrySetResult();
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the samples so far, checked now and after each new
    /// sample; false when <paramref name="timeout"/> (on the sampler's clock) passed first.</summary>
    public async Task<bool> WaitUntilAsync(Func<IReadOnlyList<ScalingSample>, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            Task woken;
            IReadOnlyList<ScalingSample> now;
            lock (gate)
            {
                // Taken together, so that a sample recorded after this copy also completes the task awaited below.
                woken = next.Task;
                now = [.. samples];
            }

            if (condition(now))
            {
                return true;
            }

            var left = time.GetElapsedTime(time.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            try
            {
                await woken.WaitAsync(left, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return condition(Samples);
            }
        }
    }
}
