namespace Widgetify.PoolReview.History;

/// <summary>What one instance's pool on one database server did during one minute: a row of
/// <c>widgetify_pool_minutes</c>. Gauges are peaks of the per-second samples; quantiles come from the minute's summed
/// histogram buckets. docs/pool-review.md ("History") says how each figure is measured and why some are null.</summary>
public sealed record PoolMinute
{
    /// <summary>The instance (<c>Widgetify:Monitoring:InstanceName</c>).</summary>
    public required string Instance { get; init; }

    /// <summary>The server: <see cref="PoolHistory.PrimaryServer"/> or a standby's name.</summary>
    public required string Server { get; init; }

    /// <summary>The minute's start, in UTC.</summary>
    public required DateTimeOffset Minute { get; init; }

    /// <summary>Seconds of the minute the monitoring loop measured: 60 for a whole minute, fewer for the first and last
    /// minutes of a process or a server, or while the loop was held up.</summary>
    public required double SecondsMeasured { get; init; }

    /// <summary>Most connections in use at once, as sampled each second.</summary>
    public int PeakInUse { get; init; }

    /// <summary>Most callers waiting for a connection at once, as sampled each second.</summary>
    public int PeakWaiting { get; init; }

    /// <summary>Most connections this instance was allowed on the server (its share of the budget).</summary>
    public int Share { get; init; }

    /// <summary>Connections taken from the pool (opens that got one); for a standby, the reads that completed there.</summary>
    public long Opens { get; init; }

    /// <summary>Median time to get a connection, in seconds; null for a standby (not timed) or a minute without opens.</summary>
    public double? AcquireWaitP50Seconds { get; init; }

    /// <summary>99th percentile of the time to get a connection, in seconds; null as for <see cref="AcquireWaitP50Seconds"/>.</summary>
    public double? AcquireWaitP99Seconds { get; init; }

    /// <summary>Median time a connection was held, in seconds; null for a standby (not timed) or a minute without returns.</summary>
    public double? HoldTimeP50Seconds { get; init; }

    /// <summary>99th percentile of the time a connection was held, in seconds; null as for <see cref="HoldTimeP50Seconds"/>.</summary>
    public double? HoldTimeP99Seconds { get; init; }

    /// <summary>Opens that timed out waiting for a connection; null for a standby (not counted per server).</summary>
    public long? Timeouts { get; init; }

    /// <summary>HTTP requests the instance completed (operators' excluded); on the primary's row only, null on a standby's:
    /// a request is the instance's, not a server's.</summary>
    public long? Requests { get; init; }

    /// <summary><see cref="Requests"/> per second measured; null where <see cref="Requests"/> is.</summary>
    public double? RequestRate => Requests is { } requests && SecondsMeasured > 0 ? requests / SecondsMeasured : null;

    /// <summary><see cref="Opens"/> per second measured: the arrival rate that Little's law multiplies by the hold time.</summary>
    public double OpenRate => SecondsMeasured > 0 ? Opens / SecondsMeasured : 0;
}
