using Widgetify.Observability.Signals;

namespace Widgetify.PoolReview.History;

/// <summary>One server's pool during one second of the monitoring loop: what <see cref="MinuteAccumulator"/> sums. The
/// distributions, timeouts and requests are null where they are not measured (a standby's pool).</summary>
internal readonly record struct PoolSecond(
    TimeSpan Interval, long InUse, long Waiting, long Share, long Opens,
    LatencyDistribution? AcquireWait, LatencyDistribution? HoldTime, long? Timeouts, long? Requests)
{
    /// <summary>The primary's second, as the monitoring loop sampled it. Opens are the acquires the governor timed.</summary>
    public static PoolSecond Primary(SignalSnapshot second) => new(
        second.Interval, second.PoolUsed, second.PoolPending, second.ConnectionShare, second.AcquireWait.Count,
        second.AcquireWait, second.HoldTime, second.PoolTimeouts, second.Requests);

    /// <summary>A standby's second: its gauges and the reads completed there; nothing about it is timed.</summary>
    public static PoolSecond Standby(ServerPoolGauge server, long served, TimeSpan interval) => new(
        interval, server.InUse, server.Waiting, server.Share, served, AcquireWait: null, HoldTime: null, Timeouts: null, Requests: null);
}
