using System.Globalization;
using Widgetify.Observability;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.Incidents.Lifecycle;

/// <summary>The incident lifecycle as one state machine, decided once per second of the monitoring loop.
/// <code>
///            an alert fires (not one already firing)
///   none ───────────────────────────────────────────► open
///   open ──── IsMitigated for MitigatedAfter ───────► mitigated
///   mitigated ─ not IsMitigated for MitigatedAfter ─► open        (a relapse; the first mitigation time stays)
///   open | mitigated ─ no symptom alert active and
///              the SLO not breached for ResolveAfter ► resolved   (back to none for this instance)
///   open | mitigated ─ this instance stops ─────────► left        (IncidentTracker.Leave; the others resolve it)
///   open | mitigated ─ nobody reports for liveness ─► abandoned   (IncidentStore.CloseAbandonedAsync)
/// </code>
/// <see cref="Decide"/> is pure: from the state, the second's snapshot, its alert transitions and the alerts active
/// after them, to a decision with its reasons. <see cref="IncidentTracker"/> acts on it (timeline, outbox) and
/// <see cref="Persistence.OutboxFlusher"/> records it in <see cref="Persistence.IncidentStore"/>.</summary>
internal sealed class IncidentLifecycle
{
    // When several alerts fire in the same second, the incident is named after the one that says most about the
    // cause: "the database is down" before "the pool is full" before "it is slow" before "the budget burns".
    private static readonly string[] MostSpecificFirst =
        ["DatabaseDown", "DatabaseWritesFailing", "PoolSaturation", "ConnectionWaits", "DbConnectionsNearLimit", "ResponseTimeSpike", "SheddingActive",
            "ErrorBudgetBurn"];

    // Alert windows lag the per-second SLO check by a few seconds: a breach that ended just before the alert fired
    // still started the incident.
    private static readonly TimeSpan ImpactTolerance = TimeSpan.FromSeconds(5);

    private readonly ServiceLevelObjectives _slo;
    private readonly TimeSpan _mitigatedAfter;
    private readonly TimeSpan _resolveAfter;

    /// <summary>Creates the lifecycle of <paramref name="slo"/> with the delays of <paramref name="options"/> (copied).</summary>
    public IncidentLifecycle(ServiceLevelObjectives slo, IncidentOptions options)
    {
        ArgumentNullException.ThrowIfNull(slo);
        ArgumentNullException.ThrowIfNull(options);
        _slo = slo;
        _mitigatedAfter = options.MitigatedAfter;
        _resolveAfter = options.ResolveAfter;
    }

    /// <summary>The transitions of one evaluation in the order they are taken: by time, then the most specific alert first.</summary>
    public static IReadOnlyList<AlertTransition> Order(IReadOnlyList<AlertTransition> transitions) =>
        [.. transitions.OrderBy(t => t.At).ThenBy(t => Specificity(t.Alert.Name))];

    /// <summary>Decides one second.</summary>
    /// <param name="state">Where this instance's incident is; <see cref="LifecycleState.None"/> without one.</param>
    /// <param name="snapshot">The second.</param>
    /// <param name="transitions">Its alert transitions, in <see cref="Order"/>.</param>
    /// <param name="activeAlerts">The alerts pending or firing after them.</param>
    public LifecycleDecision Decide(
        LifecycleState state, SignalSnapshot snapshot, IReadOnlyList<AlertTransition> transitions, IReadOnlyList<AlertSnapshot> activeAlerts)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(snapshot);
        int? opener = null;
        if (state.Status is null)
        {
            // An alert that was already firing (a ticket escalated to a page) belongs to the incident it came with;
            // after that incident resolved, it opens no new one.
            var i = transitions.ToList().FindIndex(t => t.To == AlertState.Firing && t.From != AlertState.Firing);
            if (i < 0)
            {
                return new LifecycleDecision(state, null, [], "no incident: no alert started firing");
            }

            opener = i;
            state = LifecycleState.Opened;
        }

        var steps = new List<LifecycleStep>();
        state = Mitigation(state, snapshot, steps);
        state = Resolution(state, snapshot, activeAlerts, steps, out var waiting);
        var reason = steps.Count > 0 ? steps[^1].Reason : waiting;
        if (opener is { } o)
        {
            reason = $"opened by {transitions[o].Alert.Name}; {reason}";
        }

        return new LifecycleDecision(state, opener, steps, reason);
    }

    /// <summary>The first second of the unbroken run of breached seconds ending at detection; -1 when there is none.</summary>
    /// <param name="recent">Seconds up to now, oldest first.</param>
    /// <param name="detectedAt">When the opening alert started firing.</param>
    public int FindImpactStart(List<SignalSnapshot> recent, DateTimeOffset detectedAt)
    {
        var i = recent.FindLastIndex(s => s.At <= detectedAt);
        if (i < 0)
        {
            i = recent.Count - 1;
        }

        var tail = recent[i].At;
        while (i >= 0 && !_slo.IsBreached(recent[i]) && tail - recent[i].At < ImpactTolerance)
        {
            i--;
        }

        if (i < 0 || !_slo.IsBreached(recent[i]))
        {
            return -1;
        }

        while (i > 0 && _slo.IsBreached(recent[i - 1]))
        {
            i--;
        }

        return i;
    }

    /// <summary>What broke the objectives in <paramref name="s"/>, for the timeline.</summary>
    public string DescribeBreach(SignalSnapshot s)
    {
        if (!s.DatabaseUp)
        {
            return "the database did not answer";
        }

        var parts = new List<string>();
        if (s.Requests > 0 && (double)s.BadRequests / s.Requests > _slo.ErrorBudget)
        {
            parts.Add(F($"{(double)s.BadRequests / s.Requests:0.0%} of {s.Requests:N0} requests failed or shed (budget {_slo.ErrorBudget:0.0##%})"));
        }

        if (s.ServedLatency.Quantile(0.99) is { } p99 && p99 > _slo.LatencyP99Seconds)
        {
            parts.Add(F($"served p99 {p99:0.###} s over the {_slo.LatencyP99Seconds:0.###} s objective"));
        }

        return parts.Count == 0 ? "objectives met" : string.Join("; ", parts);
    }

    /// <summary>Open -> mitigated after <see cref="IncidentOptions.MitigatedAfter"/> of seconds meeting the objectives
    /// for what is served; mitigated -> open (a relapse) after as long not meeting them.</summary>
    private LifecycleState Mitigation(LifecycleState state, SignalSnapshot snapshot, List<LifecycleStep> steps)
    {
        state = _slo.IsMitigated(snapshot)
            ? state with
            {
                MitigatedRunStart = state.MitigatedRun == TimeSpan.Zero ? snapshot.At : state.MitigatedRunStart,
                MitigatedRun = state.MitigatedRun + snapshot.Interval,
                BrokenRun = TimeSpan.Zero,
            }
            : state with { BrokenRun = state.BrokenRun + snapshot.Interval, MitigatedRun = TimeSpan.Zero };

        if (state.Status == IncidentStatus.Open && state.MitigatedRun >= _mitigatedAfter)
        {
            // The first mitigation time stays (it is what TTM measures); a mitigation after a relapse is on the timeline.
            var again = state.MitigatedAt is not null;
            steps.Add(new LifecycleStep(LifecycleStepKind.Mitigated, state.MitigatedRunStart,
                F($"{(again ? "Mitigated again" : "Mitigated")}: {DescribeService(snapshot)} for {state.MitigatedRun.TotalSeconds:0} s."), Values(snapshot), again));
            return state with { Status = IncidentStatus.Mitigated, MitigatedAt = state.MitigatedAt ?? state.MitigatedRunStart };
        }

        if (state.Status == IncidentStatus.Mitigated && state.BrokenRun >= _mitigatedAfter)
        {
            steps.Add(new LifecycleStep(LifecycleStepKind.Relapsed, snapshot.At - state.BrokenRun + snapshot.Interval,
                F($"Relapse: the service stopped meeting its objectives again for {state.BrokenRun.TotalSeconds:0} s: {DescribeBreach(snapshot)}."), Values(snapshot)));
            return state with { Status = IncidentStatus.Open };
        }

        return state;
    }

    /// <summary>Open or mitigated -> resolved once no symptom alert is pending or firing and the SLO is not breached
    /// for <see cref="IncidentOptions.ResolveAfter"/>. The error-budget alert does not count: it lags by its window.</summary>
    private LifecycleState Resolution(
        LifecycleState state, SignalSnapshot snapshot, IReadOnlyList<AlertSnapshot> activeAlerts, List<LifecycleStep> steps, out string waiting)
    {
        var symptom = activeAlerts.FirstOrDefault(a => a.State is AlertState.Firing or AlertState.Pending && !AlertEvaluator.BudgetRuleNames.Contains(a.Name));
        if (symptom is not null || _slo.IsBreached(snapshot))
        {
            waiting = $"{Describe(state.Status)}: {(symptom is not null ? $"{symptom.Name} is {symptom.State.ToString().ToLowerInvariant()}" : DescribeBreach(snapshot))}";
            return state with { HealthySince = null };
        }

        var healthySince = state.HealthySince ?? snapshot.At;
        var healthyFor = snapshot.At - healthySince + snapshot.Interval;
        if (healthyFor < _resolveAfter)
        {
            waiting = F($"{Describe(state.Status)}: healthy for {healthyFor.TotalSeconds:0} of {_resolveAfter.TotalSeconds:0} s");
            return state with { HealthySince = healthySince };
        }

        waiting = "";
        steps.Add(new LifecycleStep(LifecycleStepKind.Resolved, snapshot.At,
            F($"Resolved: no symptom alert active and the SLO met for {healthyFor.TotalSeconds:0} s{StillBurning(activeAlerts)}."), null));
        return state with { Status = IncidentStatus.Resolved, HealthySince = healthySince, MitigatedAt = state.MitigatedAt ?? healthySince };
    }

    private static string Describe(IncidentStatus? status) => status?.ToString().ToLowerInvariant() ?? "none";

    private static string StillBurning(IReadOnlyList<AlertSnapshot> activeAlerts) =>
        activeAlerts.FirstOrDefault(a => AlertEvaluator.BudgetRuleNames.Contains(a.Name)) is { } burning
            ? $" ({burning.Name} still fires until the incident's failures leave its windows)"
            : "";

    private static string DescribeService(SignalSnapshot s)
    {
        var served = s.Requests - s.Shed;
        var p99 = s.ServedLatency.Quantile(0.99) is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) + " s" : "n/a";
        var shed = s.Requests == 0 ? "" : F($", shedding {(double)s.Shed / s.Requests:0.0%} of requests");
        return F($"served p99 {p99}, {s.ServerErrors:N0} of {served:N0} served requests failed{shed}");
    }

    private static Dictionary<string, double> Values(SignalSnapshot s) => new(StringComparer.Ordinal)
    {
        ["requests"] = s.Requests,
        ["shed"] = s.Shed,
        ["serverErrors"] = s.ServerErrors,
        ["servedP99"] = s.ServedLatency.Quantile(0.99) ?? 0,
    };

    private static int Specificity(string alertName) =>
        Array.IndexOf(MostSpecificFirst, alertName) is var i and >= 0 ? i : MostSpecificFirst.Length;

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Where this instance's incident is in the lifecycle, with the runs that time its transitions.</summary>
/// <param name="Status">Null without an incident; <see cref="IncidentStatus.Resolved"/> in the decision that resolves it.</param>
/// <param name="MitigatedAt">The first mitigation (what TTM measures); kept through relapses.</param>
/// <param name="MitigatedRun">Consecutive time meeting <c>IsMitigated</c>, since <paramref name="MitigatedRunStart"/>.</param>
/// <param name="MitigatedRunStart">When that run began.</param>
/// <param name="BrokenRun">Consecutive time not meeting it (a relapse once mitigated).</param>
/// <param name="HealthySince">Since when no symptom alert is active and the SLO is met.</param>
internal sealed record LifecycleState(
    IncidentStatus? Status, DateTimeOffset? MitigatedAt = null, TimeSpan MitigatedRun = default, DateTimeOffset MitigatedRunStart = default,
    TimeSpan BrokenRun = default, DateTimeOffset? HealthySince = null)
{
    /// <summary>No incident.</summary>
    public static LifecycleState None { get; } = new((IncidentStatus?)null);

    /// <summary>An incident just opened.</summary>
    public static LifecycleState Opened { get; } = new(IncidentStatus.Open);

    /// <summary>An incident stored elsewhere (or before a restart) that this instance re-attaches to: the runs start over.</summary>
    public static LifecycleState Reattached(IncidentStatus status, DateTimeOffset? mitigatedAt) => new(status, mitigatedAt);
}

/// <summary>What <see cref="IncidentLifecycle.Decide"/> decided for one second.</summary>
/// <param name="Next">The state after the second.</param>
/// <param name="OpenedBy">The index, in the ordered transitions, of the one that opened an incident; null when none did.</param>
/// <param name="Steps">The transitions taken, in order (mitigated or relapsed, then resolved).</param>
/// <param name="Reason">Why, in a line: the last step's reason, or what the incident is waiting for.</param>
internal sealed record LifecycleDecision(LifecycleState Next, int? OpenedBy, IReadOnlyList<LifecycleStep> Steps, string Reason)
{
    /// <summary>Whether the incident resolved in this second.</summary>
    public bool Resolved => Next.Status == IncidentStatus.Resolved;
}

/// <summary>A lifecycle transition taken in a second.</summary>
/// <param name="Kind">Which.</param>
/// <param name="At">When it is dated on the timeline (a mitigation at the start of its run).</param>
/// <param name="Reason">The timeline's sentence.</param>
/// <param name="Values">The figures behind it.</param>
/// <param name="Again">A mitigation after a relapse.</param>
internal sealed record LifecycleStep(LifecycleStepKind Kind, DateTimeOffset At, string Reason, IReadOnlyDictionary<string, double>? Values, bool Again = false);

/// <summary>The transitions <see cref="IncidentLifecycle.Decide"/> takes.</summary>
internal enum LifecycleStepKind
{
    /// <summary>Open -> mitigated.</summary>
    Mitigated,

    /// <summary>Mitigated -> open.</summary>
    Relapsed,

    /// <summary>Open or mitigated -> resolved.</summary>
    Resolved,
}
