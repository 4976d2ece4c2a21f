namespace Widgetify.Bench.Detection;

/// <summary>One alert of <c>GET /api/alerts</c> (Widgetify.Api's AlertView), the fields the bench reads.</summary>
/// <param name="Name">The rule, e.g. ResponseTimeSpike.</param>
/// <param name="Severity">page or ticket.</param>
/// <param name="State">pending, firing or resolved.</param>
/// <param name="PendingSince">When its condition started to hold.</param>
/// <param name="FiringSince">When it fired; null while pending (and for one that resolved without firing).</param>
/// <param name="ResolvedAt">When it resolved; null while active.</param>
/// <param name="Summary">Its sentence with the numbers.</param>
internal sealed record PolledAlert(
    string Name, string Severity, string State, DateTimeOffset? PendingSince, DateTimeOffset? FiringSince, DateTimeOffset? ResolvedAt,
    string Summary);

/// <summary>One answer of <c>GET /api/alerts</c>.</summary>
/// <param name="Active">Alerts pending or firing now.</param>
/// <param name="Recent">Recently resolved alerts, newest first.</param>
internal sealed record AlertsPoll(IReadOnlyList<PolledAlert> Active, IReadOnlyList<PolledAlert> Recent);
