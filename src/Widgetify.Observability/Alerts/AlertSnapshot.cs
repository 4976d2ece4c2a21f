namespace Widgetify.Observability.Alerts;

/// <summary>One alert as it stands: what the API, the notifiers, the incident timeline and the dashboard show.</summary>
public sealed record AlertSnapshot
{
    /// <summary>The rule's name, e.g. <c>ResponseTimeSpike</c>; also the runbook's file name.</summary>
    public required string Name { get; init; }

    /// <summary>How urgent it is.</summary>
    public required AlertSeverity Severity { get; init; }

    /// <summary>Where it is in its lifecycle.</summary>
    public required AlertState State { get; init; }

    /// <summary>When the condition started to hold (pending).</summary>
    public DateTimeOffset? PendingSince { get; init; }

    /// <summary>When it fired; null while pending.</summary>
    public DateTimeOffset? FiringSince { get; init; }

    /// <summary>When it resolved; null while active.</summary>
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>One sentence with the numbers, e.g. "p99 1.84 s over 10 s, 12x the 0.15 s baseline".</summary>
    public required string Summary { get; init; }

    /// <summary>The values that tripped it (or, once resolved, the last ones seen), by name.</summary>
    public required IReadOnlyDictionary<string, double> Values { get; init; }

    /// <summary>The runbook, relative to the repository: <c>docs/runbooks/&lt;Name&gt;.md</c>.</summary>
    public required string Runbook { get; init; }
}
