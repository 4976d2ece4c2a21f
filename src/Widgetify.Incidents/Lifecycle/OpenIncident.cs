using Widgetify.Incidents.Impact;
using Widgetify.Incidents.Persistence;
using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents.Lifecycle;

/// <summary>The incident this instance is in, as the monitoring loop sees it second by second.</summary>
internal sealed class OpenIncident(IncidentHandle handle, ClientCapture clients)
{
    public IncidentHandle Handle { get; } = handle;

    public ClientCapture Clients { get; } = clients;

    public required string Title { get; init; }

    public required DateTimeOffset ImpactStartedAt { get; set; }

    public required DateTimeOffset DetectedAt { get; set; }

    public required string DetectedBy { get; init; }

    public required string DetectionSummary { get; init; }

    /// <summary>Where it is in <see cref="IncidentLifecycle"/>, which alone changes it.</summary>
    public LifecycleState Lifecycle { get; set; } = LifecycleState.Opened;

    public IncidentStatus Status => Lifecycle.Status ?? IncidentStatus.Open;

    public DateTimeOffset? MitigatedAt => Lifecycle.MitigatedAt;

    public List<string> Alerts { get; } = [];

    public List<string> Instances { get; } = [];

    /// <summary>The standing configuration findings already on this incident's timeline (each is recorded once).</summary>
    public HashSet<string> Findings { get; } = new(StringComparer.Ordinal);

    /// <summary>This instance's totals stored before (a restart, or a rejoin): counting carries on from them.</summary>
    public IncidentImpact Stored { get; set; } = IncidentImpact.None;

    public long Requests { get; set; }

    public long Failed { get; set; }

    public long Shed { get; set; }

    public long ClientClosed { get; set; }

    public AutomaticActions Actions { get; } = new();

    public IncidentImpact Impact => Stored.Add(new IncidentImpact
    {
        Requests = Requests,
        Failed = Failed,
        Shed = Shed,
        ClientClosed = ClientClosed,
        Clients = Clients.Clients,
        ClientsAffected = Clients.Affected,
        ClientsCapped = Clients.Capped,
    });

    public StateOp State() => new(Handle, Status, MitigatedAt, [.. Alerts], Impact);

    public Incident ToIncident() => new()
    {
        Id = Handle.Id,
        Title = Title,
        Status = Status,
        ImpactStartedAt = ImpactStartedAt,
        DetectedAt = DetectedAt,
        MitigatedAt = MitigatedAt,
        DetectedBy = DetectedBy,
        DetectionSummary = DetectionSummary,
        Alerts = [.. Alerts],
        Instances = [.. Instances],
        Impact = Impact,
    };
}
