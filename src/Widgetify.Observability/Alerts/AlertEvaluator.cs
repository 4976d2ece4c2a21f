using System.ComponentModel.DataAnnotations;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Alerts;

/// <summary>Evaluates Widgetify's alert rules against one instance's signal history, once per monitoring interval,
/// and keeps each alert's lifecycle (Prometheus's: pending for the rule's duration, then firing, resolved once the
/// condition has been false for <see cref="AlertOptions.ResolveAfter"/>). Evaluation is serialized; the
/// <see cref="Active"/> and <see cref="Recent"/> lists are immutable snapshots, safe to read from any thread.</summary>
public sealed class AlertEvaluator
{
    private readonly Lock _lock = new();
    private readonly AlertLifecycle[] _lifecycles;
    private readonly TimeSpan _shortWindow;
    private readonly int _recentCapacity;
    private AlertSnapshot[] _active = [];
    private AlertSnapshot[] _recent = [];
    private DateTimeOffset? _lastEvaluation;

    /// <summary>Creates an evaluator with every rule inactive.</summary>
    /// <param name="options">Thresholds and durations; validated, then copied (later changes have no effect).</param>
    /// <param name="slo">The objectives, whose error budget the burn-rate rule reads.</param>
    /// <exception cref="ValidationException">An option is out of range.</exception>
    public AlertEvaluator(AlertOptions options, ServiceLevelObjectives slo)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(slo);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        Validator.ValidateObject(slo, new ValidationContext(slo), validateAllProperties: true);

        AlertRule[] rules =
        [
            new ResponseTimeSpikeRule(options),
            new PoolSaturationRule(options),
            new ConnectionWaitsRule(options),
            new DbConnectionsNearLimitRule(options),
            new SheddingActiveRule(options),
            new ErrorBudgetBurnRule(options, slo),
            new DatabaseDownRule(options),
            new DatabaseWritesFailingRule(options),
            new WalArchivingFailingRule(options),
        ];
        _lifecycles = [.. rules.Select(r => new AlertLifecycle(r, options.ResolveAfter))];
        _recentCapacity = options.RecentCapacity;
        _shortWindow = new[]
        {
            options.SpikeWindow, options.PoolSaturationWindow, options.ConnectionPendingWindow, options.ConnectionWaitWindow,
            options.ShedWindow, options.DatabaseDownWindow, options.DatabaseWritesFailingWindow, options.WalArchivingFailingWindow,
            TimeSpan.FromSeconds(1),
        }.Max();
    }

    /// <summary>The rules' names, which are also their alerts' names and runbooks' file names.</summary>
    public static IReadOnlyList<string> RuleNames { get; } =
        ["ResponseTimeSpike", "PoolSaturation", "ConnectionWaits", "DbConnectionsNearLimit", "SheddingActive", "ErrorBudgetBurn", "DatabaseDown",
            "DatabaseWritesFailing", "WalArchivingFailing"];

    /// <summary>Alerts that measure error budget already spent rather than harm happening now: they keep firing until
    /// the incident's failures leave their short window (5 min for the page), so an incident does not wait for them
    /// to resolve once its symptoms are gone.</summary>
    public static IReadOnlySet<string> BudgetRuleNames { get; } = new HashSet<string>(StringComparer.Ordinal) { "ErrorBudgetBurn" };

    /// <summary>Pending and firing alerts: pages before tickets, firing before pending, then oldest first.</summary>
    public IReadOnlyList<AlertSnapshot> Active => Volatile.Read(ref _active);

    /// <summary>Resolved alerts, newest first, at most <see cref="AlertOptions.RecentCapacity"/>.</summary>
    public IReadOnlyList<AlertSnapshot> Recent => Volatile.Read(ref _recent);

    /// <summary>Evaluates every rule at <paramref name="now"/> against <paramref name="history"/>.</summary>
    /// <param name="history">The instance's snapshots; the newest should end at <paramref name="now"/>.</param>
    /// <param name="now">The evaluation's time, the end of every window.</param>
    /// <returns>The alerts that changed state, in rule order: Inactive to Pending or Firing, Pending to Firing or back
    /// to Inactive, Firing to Resolved, and Firing to Firing when a firing alert escalates to a more severe
    /// condition (ErrorBudgetBurn from ticket to page).</returns>
    public IReadOnlyList<AlertTransition> Evaluate(SignalHistory history, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(history);

        lock (_lock)
        {
            // One copy serves every rule: the longest short window, or everything since the previous evaluation for the
            // burn-rate sums, which add new snapshots rather than re-read hours of them (6 h the first time).
            var since = _lastEvaluation is { } last ? now - last : ErrorBudgetBurnRule.TicketLong;
            var length = since < _shortWindow ? _shortWindow : since > ErrorBudgetBurnRule.TicketLong ? ErrorBudgetBurnRule.TicketLong : since;
            var span = new SignalSpan(history.Window(now, length), now);
            _lastEvaluation = now;
            List<AlertTransition>? transitions = null;
            List<AlertSnapshot>? resolved = null;
            foreach (var lifecycle in _lifecycles)
            {
                var reading = lifecycle.Rule.Read(span);
                if (lifecycle.Step(reading, now) is { } transition)
                {
                    (transitions ??= []).Add(transition);
                    if (transition.To == AlertState.Resolved)
                    {
                        (resolved ??= []).Add(transition.Alert);
                    }
                }

                lifecycle.Rule.Evaluated(lifecycle.State, now);
            }

            Volatile.Write(ref _active, [.. _lifecycles
                .Select(l => l.Current)
                .OfType<AlertSnapshot>()
                .OrderBy(a => a.Severity)
                .ThenBy(a => a.State == AlertState.Firing ? 0 : 1)
                .ThenBy(a => a.PendingSince)]);
            if (resolved is not null)
            {
                resolved.Reverse();
                Volatile.Write(ref _recent, [.. resolved.Concat(_recent).Take(_recentCapacity)]);
            }

            return transitions ?? (IReadOnlyList<AlertTransition>)[];
        }
    }
}
