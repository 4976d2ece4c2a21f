using Widgetify.Observability.Signals;

namespace Widgetify.PoolReview.History;

/// <summary>One server's seconds of one minute, summed as they come; <see cref="Complete"/> makes the minute's row.
/// Quantiles are read from the summed buckets, never averaged from per-second quantiles (an average of p99s is no p99).</summary>
internal sealed class MinuteAccumulator(string server, DateTimeOffset minute)
{
    private double seconds;
    private long peakInUse;
    private long peakWaiting;
    private long share;
    private long opens;
    private long? timeouts;
    private long? requests;
    private LatencyDistribution? acquireWait;
    private LatencyDistribution? holdTime;

    /// <summary>The start of the minute a second ending at <paramref name="at"/> belongs to: the minute it ends in, one
    /// ending exactly on the minute being the previous minute's last.</summary>
    public static DateTimeOffset MinuteOf(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - 1;
        return new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
    }

    public void Add(in PoolSecond second)
    {
        seconds += second.Interval.TotalSeconds;
        peakInUse = Math.Max(peakInUse, second.InUse);
        peakWaiting = Math.Max(peakWaiting, second.Waiting);
        share = Math.Max(share, second.Share);
        opens += second.Opens;
        timeouts = Sum(timeouts, second.Timeouts);
        requests = Sum(requests, second.Requests);
        acquireWait = Sum(acquireWait, second.AcquireWait);
        holdTime = Sum(holdTime, second.HoldTime);
    }

    public PoolMinute Complete(string instance) => new()
    {
        Instance = instance,
        Server = server,
        Minute = minute,
        SecondsMeasured = seconds,
        PeakInUse = Narrow(peakInUse),
        PeakWaiting = Narrow(peakWaiting),
        Share = Narrow(share),
        Opens = opens,
        AcquireWaitP50Seconds = acquireWait?.Quantile(0.5),
        AcquireWaitP99Seconds = acquireWait?.Quantile(0.99),
        HoldTimeP50Seconds = holdTime?.Quantile(0.5),
        HoldTimeP99Seconds = holdTime?.Quantile(0.99),
        Timeouts = timeouts,
        Requests = requests,
    };

    private static long? Sum(long? total, long? value) => value is null ? total : (total ?? 0) + value;

    private static LatencyDistribution? Sum(LatencyDistribution? total, LatencyDistribution? value) =>
        value is null ? total : (total ?? LatencyDistribution.Empty).Add(value);

    private static int Narrow(long value) => (int)Math.Clamp(value, 0, int.MaxValue);
}
