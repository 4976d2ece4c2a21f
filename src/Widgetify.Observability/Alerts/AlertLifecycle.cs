using System.Diagnostics;

namespace Widgetify.Observability.Alerts;

/// <summary>One rule's alert through Prometheus's lifecycle: Inactive, Pending while the condition holds for less than
/// the rule's duration, Firing, then Resolved once the condition has been false for the resolve delay. A pending alert
/// whose condition stops holding goes back to Inactive (reported, so the incident tracker can ignore it); a resolved
/// one that breaches again starts a new alert, from Inactive. Not thread-safe: <see cref="AlertEvaluator"/> serializes.</summary>
internal sealed class AlertLifecycle(AlertRule rule, TimeSpan resolveAfter)
{
    private AlertSnapshot? _current; // pending or firing; null while inactive
    private DateTimeOffset? _falseSince; // while firing: when the condition stopped holding

    public AlertRule Rule => rule;

    /// <summary>The alert while pending or firing.</summary>
    public AlertSnapshot? Current => _current;

    public AlertState State => _current?.State ?? AlertState.Inactive;

    /// <summary>Moves the alert on by one evaluation.</summary>
    /// <returns>The transition, if the state changed (or a firing alert escalated to a more severe condition).</returns>
    public AlertTransition? Step(RuleReading reading, DateTimeOffset now)
    {
        switch (_current)
        {
            case null when reading.Holds:
                // A rule with no duration fires at the first breach, with no pending step (as Prometheus does).
                var firesAtOnce = rule.For <= TimeSpan.Zero;
                _current = new AlertSnapshot
                {
                    Name = rule.Name,
                    Severity = reading.Severity,
                    State = firesAtOnce ? AlertState.Firing : AlertState.Pending,
                    PendingSince = now,
                    FiringSince = firesAtOnce ? now : null,
                    Summary = reading.Summary,
                    Values = reading.Values,
                    Runbook = $"docs/runbooks/{rule.Name}.md",
                };
                return new AlertTransition(_current, AlertState.Inactive, now);

            case null:
                return null;

            case { State: AlertState.Pending } pending when !reading.Holds:
                _current = null;
                return new AlertTransition(With(pending, reading, AlertState.Inactive), AlertState.Pending, now);

            case { State: AlertState.Pending } pending:
                Debug.Assert(pending.PendingSince is not null, "A pending alert knows when it started.");
                if (now - pending.PendingSince.Value >= rule.For)
                {
                    _current = With(pending, reading, AlertState.Firing) with { FiringSince = now };
                    return new AlertTransition(_current, AlertState.Pending, now);
                }

                _current = With(pending, reading, AlertState.Pending);
                return null;

            case { State: AlertState.Firing } firing when reading.Holds:
                _falseSince = null;
                _current = With(firing, reading, AlertState.Firing);

                // An escalation (a ticket burn turning into a page burn) must reach the notifiers; a de-escalation
                // keeps the higher severity until the alert resolves, so a burn hovering near a threshold does not
                // page, un-page and page again.
                return _current.Severity != firing.Severity ? new AlertTransition(_current, AlertState.Firing, now) : null;

            case { State: AlertState.Firing } firing:
                // While it clears, the alert keeps the values that tripped it.
                _falseSince ??= now;
                if (now - _falseSince.Value < resolveAfter)
                {
                    return null;
                }

                _current = null;
                _falseSince = null;
                var resolved = With(firing, reading, AlertState.Resolved) with
                {
                    ResolvedAt = now,
                    Summary = "Resolved: " + reading.Summary,
                };
                return new AlertTransition(resolved, AlertState.Firing, now);

            default:
                throw new UnreachableException($"An active alert is pending or firing, not {_current.State}.");
        }
    }

    /// <summary>The alert in <paramref name="state"/> with the newest reading, keeping the most severe severity seen and
    /// the last values when this reading had none to offer.</summary>
    private static AlertSnapshot With(AlertSnapshot alert, RuleReading reading, AlertState state) => alert with
    {
        State = state,
        Severity = MoreSevere(alert.Severity, reading.Severity),
        Summary = reading.Summary,
        Values = reading.Values.Count > 0 ? reading.Values : alert.Values,
    };

    /// <summary>Page is more severe than Ticket (and sorts first).</summary>
    internal static AlertSeverity MoreSevere(AlertSeverity a, AlertSeverity b) => a <= b ? a : b;
}
