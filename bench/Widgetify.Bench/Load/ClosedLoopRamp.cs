using System.Diagnostics;

namespace Widgetify.Bench.Load;

/// <summary>Goodput of one step of the capacity ramp.</summary>
/// <param name="Workers">Concurrent closed-loop workers.</param>
/// <param name="Seconds">How long the step ran.</param>
/// <param name="Successes">Successful responses (2xx or 304, as <see cref="ResponseClassifier"/> says).</param>
/// <param name="Failures">Everything else (other statuses, timeouts, connection errors).</param>
internal sealed record RampStep(int Workers, double Seconds, long Successes, long Failures)
{
    /// <summary>Successful requests per second.</summary>
    public double Goodput => Seconds > 0 ? Successes / Seconds : 0;
}

/// <summary>
/// Measures the service's capacity with closed-loop workers (each sends its next request when the previous
/// one returns), at growing concurrency. Closed loop is right here, and only here: it finds the best throughput
/// the service sustains without ever overloading it by much, which is what "capacity" means.
/// </summary>
internal static class ClosedLoopRamp
{
    public static async Task<IReadOnlyList<RampStep>> RunAsync(
        HttpClient client, RequestFactory requests, IReadOnlyList<int> workerCounts, TimeSpan stepDuration, int seed,
        CancellationToken cancellationToken, RequestWeights? weights = null)
    {
        ArgumentNullException.ThrowIfNull(workerCounts);
        var steps = new List<RampStep>(workerCounts.Count);
        foreach (var workers in workerCounts)
        {
            long successes = 0, failures = 0;
            var start = Stopwatch.GetTimestamp();
            var end = start + (long)(stepDuration.TotalSeconds * Stopwatch.Frequency);
            var tasks = new Task[workers];
            for (var w = 0; w < workers; w++)
            {
                var mix = new RequestMix(seed + w, requests.WidgetCount, weights, requests.PollCount, requests.UpdateCount);
                tasks[w] = Task.Run(
                    async () =>
                    {
                        while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
                        {
                            var kind = mix.Next(out var widget);
                            try
                            {
                                using var request = requests.Create(kind, widget);
                                using var response = await client.SendAsync(request, cancellationToken);
                                if (ResponseClassifier.Classify((int)response.StatusCode) == Outcome.Success)
                                {
                                    Interlocked.Increment(ref successes);
                                }
                                else
                                {
                                    Interlocked.Increment(ref failures);
                                }
                            }
                            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                            {
                                Interlocked.Increment(ref failures);
                            }
                        }
                    },
                    CancellationToken.None);
            }

            await Task.WhenAll(tasks);
            cancellationToken.ThrowIfCancellationRequested();
            // The last requests end a little after the step's nominal end: divide by the time actually taken.
            var elapsed = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
            steps.Add(new RampStep(workers, elapsed, successes, failures));
        }

        return steps;
    }
}
