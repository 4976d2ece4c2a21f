namespace Widgetify.Incidents;

/// <summary>A period when users were hurt, from the first second of impact to its resolution, shared by every
/// instance that saw it.</summary>
public sealed record Incident
{
    /// <summary>Its id, a UUIDv7 from its detection time; a unique prefix of 8 or more hex digits names it too.</summary>
    public required Guid Id { get; init; }

    /// <summary>The first alert and its summary, e.g. "ResponseTimeSpike: p99 1.84 s over 10 s ...".</summary>
    public required string Title { get; init; }

    /// <summary>Where it is in its lifecycle.</summary>
    public required IncidentStatus Status { get; init; }

    /// <summary>The first second of the SLO breach that ended in detection (the detection time when there was none).</summary>
    public required DateTimeOffset ImpactStartedAt { get; init; }

    /// <summary>When the first alert fired.</summary>
    public required DateTimeOffset DetectedAt { get; init; }

    /// <summary>When the service first met its objectives again for what it serves; kept through a relapse.</summary>
    public DateTimeOffset? MitigatedAt { get; init; }

    /// <summary>When it was resolved.</summary>
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>The alert that detected it.</summary>
    public string DetectedBy { get; init; } = "";

    /// <summary>That alert's summary when it fired.</summary>
    public string DetectionSummary { get; init; } = "";

    /// <summary>Every alert that fired during it, in firing order.</summary>
    public IReadOnlyList<string> Alerts { get; init; } = [];

    /// <summary>The instances that took part.</summary>
    public IReadOnlyList<string> Instances { get; init; } = [];

    /// <summary>What it cost users.</summary>
    public IncidentImpact Impact { get; init; } = IncidentImpact.None;

    /// <summary>Where the service wrote the postmortem draft, if it did.</summary>
    public string? PostmortemPath { get; init; }

    /// <summary>From the impact start to detection.</summary>
    public TimeSpan? TimeToDetect => DetectedAt - ImpactStartedAt;

    /// <summary>From the impact start to the first mitigation.</summary>
    public TimeSpan? TimeToMitigate => MitigatedAt - ImpactStartedAt;

    /// <summary>From the impact start to the resolution.</summary>
    public TimeSpan? TimeToResolve => ResolvedAt - ImpactStartedAt;
}
