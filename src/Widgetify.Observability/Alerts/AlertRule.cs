namespace Widgetify.Observability.Alerts;

/// <summary>One alert rule: reads its condition from the signals; the lifecycle (pending, firing, resolved) is
/// <see cref="AlertLifecycle"/>'s, the same for every rule.</summary>
internal abstract class AlertRule
{
    protected AlertRule(string name, AlertSeverity severity, TimeSpan @for)
    {
        Name = name;
        Severity = severity;
        For = @for;
    }

    /// <summary>The alert's name, one of <see cref="AlertEvaluator.RuleNames"/>.</summary>
    public string Name { get; }

    /// <summary>The severity it usually has.</summary>
    public AlertSeverity Severity { get; }

    /// <summary>How long the condition must hold before the alert fires; zero fires at once.</summary>
    public TimeSpan For { get; }

    /// <summary>Reads the condition at <see cref="SignalSpan.Now"/>.</summary>
    public abstract RuleReading Read(SignalSpan span);

    /// <summary>Called after every evaluation with the alert's state after it, for rules that learn (a baseline
    /// must only learn while its alert is inactive, or a spike teaches itself as normal).</summary>
    /// <param name="state">The state after the evaluation.</param>
    /// <param name="now">The evaluation's time.</param>
    public virtual void Evaluated(AlertState state, DateTimeOffset now)
    {
    }
}
