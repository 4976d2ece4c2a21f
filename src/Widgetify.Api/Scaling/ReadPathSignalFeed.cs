using Widgetify.Observability;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using Widgetify.Overload.Routing;
using Widgetify.Scaling.Signals;

namespace Widgetify.Api.Scaling;

/// <summary>Turns each second of the monitoring loop into the autoscaler's read-path signals, so both read the same
/// measurements. Where the reads go decides which pool's saturation counts: the ready standbys' shares when there are
/// any (every read without a token goes there), else the primary's pool, which then carries them. The last
/// <see cref="RecentSeconds"/> seconds are kept, so that an autoscaler tick that comes late still takes in each one.</summary>
internal sealed class ReadPathSignalFeed(ReadRouter router, AlertOptions alerts) : IMonitoringObserver, IReadPathSignalSource
{
    /// <summary>Seconds kept for <see cref="GetRecent"/>: far more than a tick is ever late (the lease renewal inside a
    /// tick gives up after a third of the lease, 3 s by default), few enough to copy every second.</summary>
    internal const int RecentSeconds = 10;

    private readonly Lock gate = new();
    private readonly Queue<ReadPathSignals> recent = new(RecentSeconds);

    public IReadOnlyList<ReadPathSignals> GetRecent()
    {
        lock (gate)
        {
            return [.. recent];
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Observe(
        SignalSnapshot snapshot, IReadOnlyList<AlertTransition> transitions, SignalHistory history, IReadOnlyList<AlertSnapshot> activeAlerts)
    {
        var second = From(snapshot, router.StandbyStatuses(), alerts.AcquireWaitP99Seconds);
        lock (gate)
        {
            if (recent.Count == RecentSeconds)
            {
                recent.Dequeue();
            }

            recent.Enqueue(second);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The read path's second. Shedding and p99 are the service's: reads are nearly all of its user traffic
    /// (every visitor's embed, every listing), and admission does not tell them apart from writes. No CPU figure: the
    /// servers' CPU cannot be read over a PostgreSQL connection, and the local standbys share this machine's cores with
    /// the service and whatever else runs, so the host's CPU would not say which server is short.</summary>
    /// <param name="second">The monitoring loop's second.</param>
    /// <param name="standbys">The standbys as the router sees them now.</param>
    /// <param name="waitThresholdSeconds">An acquire longer than this waited (the ConnectionWaits alert's threshold).</param>
    internal static ReadPathSignals From(SignalSnapshot second, IReadOnlyList<ReadServerStatus> standbys, double waitThresholdSeconds)
    {
        var ready = standbys.Where(s => s.State == ReadServerState.Ready).ToList();
        double utilization, waited;
        if (ready.Count > 0)
        {
            // InFlight counts the reads waiting at a full share too; in use is what holds a connection.
            var share = ready.Sum(s => s.Share);
            var waiting = ready.Sum(s => s.Waiting);
            var inFlight = ready.Sum(s => s.InFlight);
            utilization = share > 0 ? Math.Min(1, (double)(inFlight - waiting) / share) : 1;
            waited = inFlight > 0 ? (double)waiting / inFlight : 0;
        }
        else
        {
            utilization = second.ConnectionShare > 0 ? Math.Min(1, (double)second.PoolUsed / second.ConnectionShare) : 0;
            var opens = second.AcquireWait.Count + second.PoolTimeouts;
            waited = opens > 0 ? Math.Min(1, (double)second.OpensWaited(waitThresholdSeconds) / opens) : (second.PoolPending > 0 ? 1 : 0);
        }

        return new ReadPathSignals
        {
            At = second.At,
            ReadPoolUtilization = Math.Max(0, utilization),
            ReadAcquireWaitedRatio = waited,
            ReadShedPerSecond = second.Shed / second.Interval.TotalSeconds,
            ReadAdmittedPerSecond = Math.Max(0, second.Requests - second.Shed - second.ClientClosed) / second.Interval.TotalSeconds,
            ReadP99Seconds = second.ServedLatency.Count > 0 ? second.ServedLatency.Quantile(0.99) : null,
            CpuUtilization = null,
            ReadyReplicas = ready.Count,
            LiveReplicas = standbys.Count(s => s.State is ReadServerState.Ready or ReadServerState.Lagging or ReadServerState.Starting),
        };
    }
}
