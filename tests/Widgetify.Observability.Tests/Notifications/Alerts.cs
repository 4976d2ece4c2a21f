using Widgetify.Observability.Alerts;

namespace Widgetify.Observability.Tests.Notifications;

/// <summary>Transitions as the evaluator makes them, for notifier tests.</summary>
public static class Alerts
{
    public static readonly DateTimeOffset T0 = new(2026, 2, 15, 12, 0, 0, TimeSpan.Zero);

    public static AlertSnapshot Snapshot(string name, AlertState state, AlertSeverity severity = AlertSeverity.Page, DateTimeOffset? firingSince = null) => new()
    {
        Name = name,
        Severity = severity,
        State = state,
        PendingSince = T0,
        FiringSince = state is AlertState.Firing or AlertState.Resolved ? firingSince ?? T0.AddSeconds(3) : null,
        ResolvedAt = state == AlertState.Resolved ? T0.AddSeconds(60) : null,
        Summary = $"p99 1.84 s over 10 s is 12.3x the 0.15 s baseline ({name}).",
        Values = new Dictionary<string, double> { ["p99_seconds"] = 1.84, ["baseline_seconds"] = 0.15 },
        Runbook = $"docs/runbooks/{name}.md",
    };

    public static AlertTransition Pending(string name = "ResponseTimeSpike") => new(Snapshot(name, AlertState.Pending), AlertState.Inactive, T0);

    public static AlertTransition Firing(string name = "ResponseTimeSpike", AlertSeverity severity = AlertSeverity.Page) =>
        new(Snapshot(name, AlertState.Firing, severity), AlertState.Pending, T0.AddSeconds(3));

    public static AlertTransition Resolved(string name = "ResponseTimeSpike") =>
        new(Snapshot(name, AlertState.Resolved), AlertState.Firing, T0.AddSeconds(60));
}
