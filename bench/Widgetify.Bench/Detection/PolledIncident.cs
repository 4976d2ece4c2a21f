using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Detection;

/// <summary>One incident of <c>GET /api/incidents</c> (Widgetify.Api's IncidentView), the fields the bench reads.</summary>
internal sealed record PolledIncident(
    Guid Id, string Title, string Status, DateTimeOffset ImpactStartedAt, DateTimeOffset DetectedAt, DateTimeOffset? MitigatedAt,
    DateTimeOffset? ResolvedAt, double? TimeToDetectSeconds, double? TimeToMitigateSeconds, double? TimeToResolveSeconds,
    IReadOnlyList<string> Alerts, IncidentImpactResult Impact, string? Postmortem)
{
    public bool IsResolved => ResolvedAt is not null || string.Equals(Status, "resolved", StringComparison.OrdinalIgnoreCase);
}
