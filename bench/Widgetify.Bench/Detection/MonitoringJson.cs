using System.Text.Json;
using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Detection;

/// <summary>Reads the bodies of <c>/api/alerts</c> and <c>/api/incidents</c>. Lenient about what the bench does not
/// use (extra fields, alert values), strict about what it does: a body without the <c>active</c> array, or an incident
/// without an id or detection time, is a <see cref="JsonException"/>, which the poller counts as a failed poll.</summary>
internal static class MonitoringJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static AlertsPoll ParseAlerts(string json)
    {
        var body = JsonSerializer.Deserialize<AlertsBody>(json, Options)
            ?? throw new JsonException("The /api/alerts body is null.");
        if (body.Active is null)
        {
            throw new JsonException("The /api/alerts body has no 'active' array.");
        }

        return new AlertsPoll([.. body.Active.Select(ToAlert)], [.. (body.Recent ?? []).Select(ToAlert)]);
    }

    public static IReadOnlyList<PolledIncident> ParseIncidents(string json)
    {
        var body = JsonSerializer.Deserialize<IncidentsBody>(json, Options)
            ?? throw new JsonException("The /api/incidents body is null.");
        if (body.Items is null)
        {
            throw new JsonException("The /api/incidents body has no 'items' array.");
        }

        return [.. body.Items.Select(ToIncident)];
    }

    private static PolledAlert ToAlert(AlertBody? a) =>
        a?.Name is null
            ? throw new JsonException("An alert has no name.")
            : new PolledAlert(a.Name, a.Severity ?? "", a.State ?? "", a.PendingSince, a.FiringSince, a.ResolvedAt, a.Summary ?? "");

    private static PolledIncident ToIncident(IncidentBody? i)
    {
        if (i?.Id is not { } id || i.DetectedAt is not { } detectedAt)
        {
            throw new JsonException("An incident has no id or no detectedAt.");
        }

        var m = i.Impact;
        var impact = new IncidentImpactResult(
            m?.Requests ?? 0, m?.Failed ?? 0, m?.Shed ?? 0, m?.FailedOrShedPercent ?? 0, m?.Clients ?? 0, m?.ClientsAffected ?? 0,
            m?.ClientsAffectedPercent ?? 0, m?.ClientsCapped ?? false);
        return new PolledIncident(
            id, i.Title ?? "", i.Status ?? "", i.ImpactStartedAt ?? detectedAt, detectedAt, i.MitigatedAt, i.ResolvedAt,
            i.TimeToDetectSeconds, i.TimeToMitigateSeconds, i.TimeToResolveSeconds, i.Alerts ?? [], impact, i.Postmortem);
    }

    // The wire shapes, every field optional so that one missing field names itself in the check above rather than
    // failing deep inside the serializer. Instantiated by System.Text.Json.
#pragma warning disable CA1812
    private sealed record AlertsBody(List<AlertBody?>? Active, List<AlertBody?>? Recent);

    private sealed record AlertBody(
        string? Name, string? Severity, string? State, DateTimeOffset? PendingSince, DateTimeOffset? FiringSince, DateTimeOffset? ResolvedAt,
        string? Summary);

    private sealed record IncidentsBody(List<IncidentBody?>? Items);

    private sealed record IncidentBody(
        Guid? Id, string? Title, string? Status, DateTimeOffset? ImpactStartedAt, DateTimeOffset? DetectedAt, DateTimeOffset? MitigatedAt,
        DateTimeOffset? ResolvedAt, double? TimeToDetectSeconds, double? TimeToMitigateSeconds, double? TimeToResolveSeconds,
        List<string>? Alerts, ImpactBody? Impact, string? Postmortem);

    private sealed record ImpactBody(
        long? Requests, long? Failed, long? Shed, double? FailedOrShedPercent, long? Clients, long? ClientsAffected,
        double? ClientsAffectedPercent, bool? ClientsCapped);
#pragma warning restore CA1812
}
