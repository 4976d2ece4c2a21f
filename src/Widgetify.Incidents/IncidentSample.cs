namespace Widgetify.Incidents;

/// <summary>One second of one instance during an incident (or its baseline just before): the postmortem's evidence.</summary>
public sealed record IncidentSample
{
    /// <summary>The end of the second.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The instance.</summary>
    public required string Instance { get; init; }

    /// <summary>Completed requests.</summary>
    public long Requests { get; init; }

    /// <summary>Failed or shed requests (not those whose clients gave up).</summary>
    public long Bad { get; init; }

    /// <summary>Shed requests.</summary>
    public long Shed { get; init; }

    /// <summary>Requests whose client went away before the answer (499): clients that gave up, not failures of ours.
    /// Zero in the samples stored before it was recorded.</summary>
    public long ClientClosed { get; init; }

    /// <summary>Median latency of all requests, in seconds.</summary>
    public double? P50 { get; init; }

    /// <summary>p99 latency of all requests, in seconds.</summary>
    public double? P99 { get; init; }

    /// <summary>p99 latency of served (non-503) requests, in seconds: what the latency objective reads.</summary>
    public double? ServedP99 { get; init; }

    /// <summary>The adaptive admission limit.</summary>
    public double AdmissionLimit { get; init; }

    /// <summary>Requests holding an admission lease.</summary>
    public long InFlight { get; init; }

    /// <summary>Requests waiting for admission.</summary>
    public long Queued { get; init; }

    /// <summary>Pool connections in use.</summary>
    public long PoolUsed { get; init; }

    /// <summary>This instance's connection share.</summary>
    public long Share { get; init; }

    /// <summary>Connection opens waiting at the end of the second.</summary>
    public long Pending { get; init; }

    /// <summary>Connection opens that waited during the second, by the definition the ConnectionWaits alert uses
    /// (<see cref="Observability.Signals.SignalSnapshot.OpensWaited"/>): at least <see cref="Pending"/>.</summary>
    public long OpensWaited { get; init; }

    /// <summary>Client connections on the server.</summary>
    public long? ServerConnections { get; init; }

    /// <summary>The server's max_connections.</summary>
    public long? MaxConnections { get; init; }

    /// <summary>Whether the database answered.</summary>
    public bool DatabaseUp { get; init; } = true;

    /// <summary>Age of the oldest open transaction, in seconds.</summary>
    public double? LongestTransactionSeconds { get; init; }

    /// <summary>Deadlocks detected.</summary>
    public long Deadlocks { get; init; }

    /// <summary>Rolled-back transactions.</summary>
    public long Rollbacks { get; init; }

    /// <summary>Committed transactions.</summary>
    public long Commits { get; init; }

    /// <summary>5xx that were not shed.</summary>
    public long ServerErrors => Bad - Shed;
}
