namespace Widgetify.Incidents.Spool;

/// <summary>A timeline entry in the spool; <see cref="Id"/> makes its delivery idempotent.</summary>
internal sealed record SpoolEvent
{
    public required Guid Id { get; init; }

    public required DateTimeOffset At { get; init; }

    /// <summary>An <see cref="Timeline.IncidentEventKind"/> by name.</summary>
    public required string Kind { get; init; }

    public required string Message { get; init; }

    public IReadOnlyDictionary<string, double>? Values { get; init; }

    public string? Instance { get; init; }
}

/// <summary>An instance's view of an incident: status (open, mitigated, resolved), alerts, its absolute impact totals.</summary>
internal sealed record SpoolState
{
    public required string Status { get; init; }

    public DateTimeOffset? MitigatedAt { get; init; }

    public required IReadOnlyList<string> Alerts { get; init; }

    public required SpoolImpact Impact { get; init; }
}

internal sealed record SpoolImpact
{
    public required long Requests { get; init; }

    public required long Failed { get; init; }

    public required long Shed { get; init; }

    public required long ClientClosed { get; init; }

    public required long Clients { get; init; }

    public required long ClientsAffected { get; init; }

    public required bool ClientsCapped { get; init; }
}

/// <summary>One second of one instance, as <see cref="IncidentSample"/> holds it.</summary>
internal sealed record SpoolSample
{
    public required DateTimeOffset At { get; init; }

    public required string Instance { get; init; }

    public required long Requests { get; init; }

    public required long Bad { get; init; }

    public required long Shed { get; init; }

    public required long ClientClosed { get; init; }

    public double? P50 { get; init; }

    public double? P99 { get; init; }

    public double? ServedP99 { get; init; }

    public required double AdmissionLimit { get; init; }

    public required long InFlight { get; init; }

    public required long Queued { get; init; }

    public required long PoolUsed { get; init; }

    public required long Share { get; init; }

    public required long Pending { get; init; }

    public required long OpensWaited { get; init; }

    public long? ServerConnections { get; init; }

    public long? MaxConnections { get; init; }

    public required bool DatabaseUp { get; init; }

    public double? LongestTransactionSeconds { get; init; }

    public required long Deadlocks { get; init; }

    public required long Rollbacks { get; init; }

    public required long Commits { get; init; }
}
