using System.Text.Json.Serialization;

namespace Widgetify.Bench.Reporting;

/// <summary>What the service's own monitoring made of one configuration's storm, as polled from <c>/api/alerts</c> and
/// <c>/api/incidents</c> (see <see cref="Detection.DetectionPoller"/>). Every "after onset" figure is measured from
/// <see cref="OnsetUtc"/>, the wall-clock instant the storm segment started.</summary>
internal sealed record DetectionResult
{
    /// <summary>Wall-clock UTC time of the storm's onset, the time base of every figure below.</summary>
    public DateTimeOffset? OnsetUtc { get; init; }

    /// <summary>Why nothing could be polled (no operator key, say), or null.</summary>
    public string? NotMeasured { get; init; }

    /// <summary>Polling rounds (one GET of each endpoint per round).</summary>
    public int Polls { get; init; }

    /// <summary>Requests that failed (timeout, non-2xx status, unreadable body); counted, never fatal.</summary>
    public int PollFailures { get; init; }

    /// <summary>The last failure, for the report.</summary>
    public string? LastPollFailure { get; init; }

    /// <summary>Seconds after onset of the last successful poll: how long the run could observe resolution.</summary>
    public double ObservedSeconds { get; init; }

    /// <summary>Polling went on for at most this long after the load ended, waiting for the incident to resolve.</summary>
    public double ResolutionWaitSeconds { get; init; }

    /// <summary>How long it actually went on after the load ended.</summary>
    public double WaitedAfterLoadSeconds { get; init; }

    /// <summary>Alerts that had fired before onset (in the warm-up or baseline) and were still firing at onset.</summary>
    public IReadOnlyList<string> FiringAtOnset { get; init; } = [];

    /// <summary>The alert that fired first at or after onset, or null when none did.</summary>
    public string? FirstAlert { get; init; }

    /// <summary>Its <c>firingSince</c>.</summary>
    public DateTimeOffset? FirstAlertFiringSince { get; init; }

    /// <summary>Seconds from onset to <see cref="FirstAlertFiringSince"/>.</summary>
    public double? SecondsToFirstAlert { get; init; }

    /// <summary>Every alert name that fired at or after onset, in firing order.</summary>
    public IReadOnlyList<string> AlertsFired { get; init; } = [];

    /// <summary>Alerts pending or firing at the last successful poll ("name (state)").</summary>
    public IReadOnlyList<string> ActiveAtEnd { get; init; } = [];

    /// <summary>Incidents detected before onset that were still open at the first poll ("id prefix: title"); the
    /// storm's alerts join such an incident instead of opening their own.</summary>
    public IReadOnlyList<string> OpenAtOnset { get; init; } = [];

    /// <summary>Incidents detected at or after onset (minus the clock slack).</summary>
    public int IncidentsOpened { get; init; }

    /// <summary>The first of them, as last seen; null when none was opened.</summary>
    public IncidentResult? Incident { get; init; }

    /// <summary>True when an alert fired at or after onset.</summary>
    public bool Alerted => SecondsToFirstAlert is not null;
}

/// <summary>One incident as <c>/api/incidents</c> last showed it, with its times relative to the storm's onset.</summary>
internal sealed record IncidentResult
{
    public required Guid Id { get; init; }

    public required string Title { get; init; }

    /// <summary>open, mitigated or resolved.</summary>
    public required string Status { get; init; }

    public required DateTimeOffset ImpactStartedAt { get; init; }

    public required DateTimeOffset DetectedAt { get; init; }

    public DateTimeOffset? MitigatedAt { get; init; }

    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>Seconds from onset to detection (may be slightly negative within the clock slack).</summary>
    public required double DetectedAfterOnsetSeconds { get; init; }

    public double? MitigatedAfterOnsetSeconds { get; init; }

    public double? ResolvedAfterOnsetSeconds { get; init; }

    /// <summary>The service's own time to detect (from its impact start).</summary>
    public double? TimeToDetectSeconds { get; init; }

    public double? TimeToMitigateSeconds { get; init; }

    public double? TimeToResolveSeconds { get; init; }

    public IReadOnlyList<string> Alerts { get; init; } = [];

    public required IncidentImpactResult Impact { get; init; }

    /// <summary>The draft's path as the service reported it, or null.</summary>
    public string? Postmortem { get; init; }

    /// <summary>Whether the draft existed on disk once the incident was resolved.</summary>
    public bool PostmortemWritten { get; init; }

    /// <summary>The draft found on disk (in the service's data folder, which the bench deletes after the run).</summary>
    [JsonIgnore]
    public string? PostmortemFile { get; init; }

    /// <summary>Where the bench copied the draft, relative to the output folder.</summary>
    public string? PostmortemCopy { get; init; }

    public bool Mitigated => MitigatedAt is not null;

    public bool Resolved => ResolvedAt is not null || string.Equals(Status, "resolved", StringComparison.Ordinal);
}

/// <summary>What the incident cost users, as the service counted it.</summary>
internal sealed record IncidentImpactResult(
    long Requests, long Failed, long Shed, double FailedOrShedPercent, long Clients, long ClientsAffected, double ClientsAffectedPercent,
    bool ClientsCapped);
