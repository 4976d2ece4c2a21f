namespace Widgetify.Observability.Signals;

/// <summary>What one instance saw during one evaluation interval (1 s by default): the numbers the alerts, the
/// incident timeline and the dashboard all read. Counts are for the interval; gauges are as sampled at its end.</summary>
public sealed record SignalSnapshot
{
    /// <summary>The end of the interval.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The interval's length.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    // --- HTTP, from http.server.request.duration ---

    /// <summary>Requests answered in the interval: served, failed, given up (499) and shed, pre-routing sheds included.
    /// The one denominator of every share: a shed counted in <see cref="Shed"/> without a 503 in the request histogram
    /// is added, so <see cref="BadRequests"/> never exceeds it.</summary>
    public long Requests { get; init; }

    /// <summary>Requests answered 5xx that admission control did not shed (failures nobody chose).</summary>
    public long ServerErrors { get; init; }

    /// <summary>Requests whose client went away before the answer (status 499): clients that gave up, not failures of
    /// ours, so neither in <see cref="ServerErrors"/> nor in <see cref="BadRequests"/>.</summary>
    public long ClientClosed { get; init; }

    /// <summary>Requests shed by admission control (503 with Retry-After), from widgetify.admission.shed.</summary>
    public long Shed { get; init; }

    /// <summary>Latency of every completed request, sheds included.</summary>
    public LatencyDistribution Latency { get; init; } = LatencyDistribution.Empty;

    /// <summary>Latency of the requests that were served (status other than 503 and 499).</summary>
    public LatencyDistribution ServedLatency { get; init; } = LatencyDistribution.Empty;

    // --- Admission control ---

    /// <summary>The adaptive concurrency limit.</summary>
    public double AdmissionLimit { get; init; }

    /// <summary>Requests holding an admission lease.</summary>
    public long AdmissionInFlight { get; init; }

    /// <summary>Requests waiting for admission.</summary>
    public long AdmissionQueued { get; init; }

    // --- This instance's pool (governor and Npgsql) ---

    /// <summary>Connections of the request pool in use (Npgsql db.client.connection.count, state used).</summary>
    public long PoolUsed { get; init; }

    /// <summary>Idle connections of the request pool.</summary>
    public long PoolIdle { get; init; }

    /// <summary>Opens waiting: for this instance's share (governor) or for a pooled connection (Npgsql).</summary>
    public long PoolPending { get; init; }

    /// <summary>Connections this instance may hold (its share of the fleet-wide budget).</summary>
    public long ConnectionShare { get; init; }

    /// <summary>The fleet-wide budget; null when disabled or unknown.</summary>
    public long? ConnectionBudget { get; init; }

    /// <summary>Pool open timeouts in the interval (Npgsql db.client.connection.npgsql.timeouts).</summary>
    public long PoolTimeouts { get; init; }

    /// <summary>Time to get a connection through the governor (widgetify.pool.acquire.duration).</summary>
    public LatencyDistribution AcquireWait { get; init; } = LatencyDistribution.Empty;

    /// <summary>How long the connections returned in the interval were held (widgetify.pool.hold.duration): with the
    /// rate of opens, what Little's law sizes a pool from.</summary>
    public LatencyDistribution HoldTime { get; init; } = LatencyDistribution.Empty;

    // --- The database server, sampled with SQL ---

    /// <summary>Whether the last sample of the server succeeded.</summary>
    public bool DatabaseUp { get; init; } = true;

    /// <summary>Client connections on the server (pg_stat_activity, client backends); null when not sampled.</summary>
    public long? ServerConnections { get; init; }

    /// <summary>Of those, connections of Widgetify instances (application_name).</summary>
    public long? WidgetifyServerConnections { get; init; }

    /// <summary>The server's max_connections; null when not sampled.</summary>
    public long? MaxConnections { get; init; }

    /// <summary>Age of the oldest open transaction, in seconds; null when none or not sampled.</summary>
    public double? LongestTransactionSeconds { get; init; }

    /// <summary>Deadlocks the server detected in the interval.</summary>
    public long Deadlocks { get; init; }

    /// <summary>Rolled-back transactions in the interval.</summary>
    public long Rollbacks { get; init; }

    /// <summary>Committed transactions in the interval.</summary>
    public long Commits { get; init; }

    // --- Writes, from widgetify.database.write_failures ---

    /// <summary>Writes PostgreSQL refused in the interval, by SQLSTATE (e.g. <c>53100</c>); empty when none was.</summary>
    public IReadOnlyDictionary<string, long> WriteFailures { get; init; } = NoWriteFailures;

    /// <summary>Whether the primary's WAL archiver is failing (its last attempt failed, nothing archived since); null when
    /// it does not archive or was not sampled.</summary>
    public bool? WalArchiveFailing { get; init; }

    /// <summary>Failed archiving attempts in this interval.</summary>
    public long WalArchiveFailures { get; init; }

    /// <summary>The segment the archiver last failed on, for the alert's summary.</summary>
    public string? WalArchiveFailedSegment { get; init; }

    /// <summary>Connection opens that waited in the interval: the one definition the ConnectionWaits alert and the
    /// postmortem's evidence share. An open waited when getting its connection took longer than
    /// <paramref name="thresholdSeconds"/> (counted from <see cref="AcquireWait"/>, the distribution whose p99 the
    /// alert reads) or timed out; opens still pending at the end of the interval have waited too, so there are at
    /// least <see cref="PoolPending"/>.</summary>
    /// <param name="thresholdSeconds">The alert's acquire-wait threshold (<c>AlertOptions.AcquireWaitP99Seconds</c>).</param>
    public long OpensWaited(double thresholdSeconds) => Math.Max(AcquireWait.CountAbove(thresholdSeconds) + PoolTimeouts, PoolPending);

    private static readonly IReadOnlyDictionary<string, long> NoWriteFailures = new Dictionary<string, long>();

    /// <summary>Requests that failed or were shed.</summary>
    public long BadRequests => ServerErrors + Shed;
}
