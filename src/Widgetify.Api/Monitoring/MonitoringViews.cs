using Widgetify.Incidents;
using Widgetify.Incidents.Postmortems;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.Api.Monitoring;

// The JSON the operator endpoints return (camelCase, enums as lower-case strings): the dashboard, the storm benchmark
// and operators' scripts read these shapes, so they are spelled out here rather than left to the library types.

internal sealed record AlertsResponse(IReadOnlyList<AlertView> Active, IReadOnlyList<AlertView> Recent);

internal sealed record AlertView(
    string Name, string Severity, string State, DateTimeOffset? PendingSince, DateTimeOffset? FiringSince, DateTimeOffset? ResolvedAt,
    string Summary, IReadOnlyDictionary<string, double> Values, string Runbook)
{
    public static AlertView From(AlertSnapshot a) => new(
        a.Name, Lower(a.Severity.ToString()), Lower(a.State.ToString()), a.PendingSince, a.FiringSince, a.ResolvedAt, a.Summary, a.Values, a.Runbook);

    internal static string Lower(string value) => value.ToLowerInvariant();
}

internal sealed record IncidentPage(IReadOnlyList<IncidentView> Items);

// ClientClosed: requests whose clients gave up (499), spelled as the signals spell it; not in Failed nor in the percent.
internal sealed record ImpactView(
    long Requests, long Failed, long Shed, long ClientClosed, double FailedOrShedPercent, long Clients, long ClientsAffected, double ClientsAffectedPercent,
    bool ClientsCapped)
{
    public static ImpactView From(IncidentImpact i) => new(
        i.Requests, i.Failed, i.Shed, i.ClientClosed, i.FailedOrShedPercent, i.Clients, i.ClientsAffected, i.ClientsAffectedPercent, i.ClientsCapped);
}

internal sealed record IncidentView(
    Guid Id, string Title, string Status, DateTimeOffset ImpactStartedAt, DateTimeOffset DetectedAt, DateTimeOffset? MitigatedAt,
    DateTimeOffset? ResolvedAt, double? TimeToDetectSeconds, double? TimeToMitigateSeconds, double? TimeToResolveSeconds,
    IReadOnlyList<string> Alerts, ImpactView Impact, string? Postmortem)
{
    public static IncidentView From(Incident i) => new(
        i.Id, i.Title, AlertView.Lower(i.Status.ToString()), i.ImpactStartedAt, i.DetectedAt, i.MitigatedAt, i.ResolvedAt,
        i.TimeToDetect?.TotalSeconds, i.TimeToMitigate?.TotalSeconds, i.TimeToResolve?.TotalSeconds,
        i.Alerts, ImpactView.From(i.Impact), i.PostmortemPath);
}

internal sealed record IncidentEventView(DateTimeOffset At, string Kind, string Message, IReadOnlyDictionary<string, double>? Values);

internal sealed record IncidentDetail(IncidentView Incident, IReadOnlyList<IncidentEventView> Timeline)
{
    public static IncidentDetail From(IncidentReport report) => new(
        IncidentView.From(report.Incident),
        report.Events.Select(e => new IncidentEventView(e.At, e.Kind.ToString(), e.Message, e.Values)).ToList());
}

internal sealed record SloView(double Availability, double LatencyP99Seconds);

internal sealed record SignalsResponse(string Instance, string ServiceInstanceId, SloView Slo, IReadOnlyList<SignalView> Samples);

internal sealed record SignalView(
    DateTimeOffset At, long Requests, long ServerErrors, long ClientClosed, long Shed, double? P50Seconds, double? P99Seconds, double? ServedP99Seconds,
    double AdmissionLimit, long AdmissionInFlight, long AdmissionQueued, long PoolUsed, long PoolIdle, long PoolPending,
    long ConnectionShare, long? ConnectionBudget, long? ServerConnections, long? WidgetifyServerConnections, long? MaxConnections,
    bool DatabaseUp, double RequestsPerSecond)
{
    public static SignalView From(SignalSnapshot s) => new(
        s.At, s.Requests, s.ServerErrors, s.ClientClosed, s.Shed, s.Latency.Quantile(0.5), s.Latency.Quantile(0.99), s.ServedLatency.Quantile(0.99),
        s.AdmissionLimit, s.AdmissionInFlight, s.AdmissionQueued, s.PoolUsed, s.PoolIdle, s.PoolPending, s.ConnectionShare,
        s.ConnectionBudget, s.ServerConnections, s.WidgetifyServerConnections, s.MaxConnections, s.DatabaseUp,
        s.Interval > TimeSpan.Zero ? s.Requests / s.Interval.TotalSeconds : s.Requests);
}
