using Widgetify.Observability.Signals;
using Widgetify.PoolReview.History;

namespace Widgetify.PoolReview.Tests.History;

/// <summary>Crafted seconds of the monitoring loop, at explicit times, with the governor's histogram bounds.</summary>
internal static class Seconds
{
    /// <summary>The start of a minute: the seconds ending at T0 + 1 s ... T0 + 60 s are its 60 seconds.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 2, 15, 8, 0, 0, TimeSpan.Zero);

    // PoolGovernanceMetrics' bucket bounds.
    private static readonly double[] Bounds = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>A distribution of the given observations, each counted in the bucket that holds it.</summary>
    public static LatencyDistribution Observed(params double[] seconds)
    {
        var counts = new long[Bounds.Length + 1];
        foreach (var value in seconds)
        {
            var bucket = Array.FindIndex(Bounds, bound => value <= bound);
            counts[bucket < 0 ? Bounds.Length : bucket]++;
        }

        return new LatencyDistribution(Bounds, counts);
    }

    /// <summary><paramref name="count"/> observations of <paramref name="seconds"/>.</summary>
    public static LatencyDistribution Observed(double seconds, int count) => Observed([.. Enumerable.Repeat(seconds, count)]);

    /// <summary>The second ending at T0 + <paramref name="n"/> s, as the sampler reports the primary's pool.</summary>
    public static SignalSnapshot Second(
        int n, long used = 2, long pending = 0, long share = 20, long requests = 50, long timeouts = 0,
        LatencyDistribution? acquire = null, LatencyDistribution? hold = null) => new()
    {
        At = T0.AddSeconds(n),
        Requests = requests,
        PoolUsed = used,
        PoolPending = pending,
        ConnectionShare = share,
        PoolTimeouts = timeouts,
        AcquireWait = acquire ?? LatencyDistribution.Empty,
        HoldTime = hold ?? LatencyDistribution.Empty,
    };

    /// <summary>A minute as the recorder would write it, for tests of what is stored and read.</summary>
    public static PoolMinute Minute(
        string instance, int minute, string server = PoolHistory.PrimaryServer, int peakInUse = 4, double seconds = 60, long opens = 600,
        long? requests = 3000, double? acquireP99 = 0.002, double? holdP99 = 0.05) => new()
    {
        Instance = instance,
        Server = server,
        Minute = T0.AddMinutes(minute),
        SecondsMeasured = seconds,
        PeakInUse = peakInUse,
        PeakWaiting = 0,
        Share = 20,
        Opens = opens,
        AcquireWaitP50Seconds = acquireP99 / 2,
        AcquireWaitP99Seconds = acquireP99,
        HoldTimeP50Seconds = holdP99 / 2,
        HoldTimeP99Seconds = holdP99,
        Timeouts = requests is null ? null : 0,
        Requests = requests,
    };
}
