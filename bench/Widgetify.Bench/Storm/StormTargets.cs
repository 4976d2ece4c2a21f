using System.Globalization;
using Widgetify.Bench.Reporting;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Bench.Storm;

/// <summary>The overload targets configuration 5 (Widgetify's defaults) must meet in the storm, and the detection
/// targets every configuration is reported against (the service's monitoring runs in all of them).</summary>
internal static class StormTargets
{
    public const double MinGoodputShareOfCapacity = 0.9;
    public const double MaxP99FactorOverUnloaded = 3.0;
    public const int MaxSecondsToRecover = 2;

    /// <summary>An alert must fire within this many seconds of the storm's onset.</summary>
    public const double MaxSecondsToAlert = 5;

    /// <summary>The incident must be mitigated (by the service itself, nobody intervenes) within this many seconds of onset.</summary>
    public const double MaxSecondsToMitigate = 10;

    public static readonly string AlertTarget = F($"alert within {MaxSecondsToAlert:0} s of onset");
    public static readonly string MitigationTarget = F($"incident mitigated automatically within {MaxSecondsToMitigate:0} s of onset");
    public const string PostmortemTarget = "postmortem draft written when the incident resolves";

    /// <summary>Connections left for clients other than Widgetify (ConnectionBudget:ReservedForOtherClients' default).</summary>
    public static readonly int ReservedForOtherClients = new ConnectionBudgetOptions().ReservedForOtherClients;

    /// <summary>The budget the service should stay within when it does not report one, by the service's own rule
    /// (<see cref="ServerConnectionLimits.BudgetFor"/>) with its default <see cref="ReservedForOtherClients"/>.</summary>
    public static int ComputedBudget(ServerConnectionLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return limits.BudgetFor(ReservedForOtherClients);
    }

    public static IReadOnlyList<TargetCheck> Evaluate(
        ConfigurationResult? widgetify, IReadOnlyList<ConfigurationResult> others, double capacity, int budget, bool budgetReported)
    {
        ArgumentNullException.ThrowIfNull(others);
        if (widgetify is null)
        {
            return [];
        }

        if (!widgetify.Succeeded)
        {
            return [new TargetCheck("configuration 5 ran", false, widgetify.Failure ?? "no storm measured")];
        }

        var storm = widgetify.Storm!;
        var baseline = widgetify.Baseline!;
        var all = new[] { baseline, storm, widgetify.Recovery! };
        var errors = all.Sum(p => p.Errors);
        var checks = new List<TargetCheck>
        {
            new(F($"goodput ≥ {MinGoodputShareOfCapacity * 100:0}% of capacity"),
                storm.Goodput >= MinGoodputShareOfCapacity * capacity,
                F($"{storm.Goodput:0} req/s vs capacity {capacity:0} req/s ({Share(storm.Goodput, capacity)})")),
            new($"p99 ≤ {MaxP99FactorOverUnloaded:0} × unloaded p99",
                storm.Successes > 0 && storm.P99Ms <= MaxP99FactorOverUnloaded * baseline.P99Ms,
                F($"storm p99 {storm.P99Ms:0.0} ms vs unloaded p99 {baseline.P99Ms:0.0} ms (limit {MaxP99FactorOverUnloaded * baseline.P99Ms:0.0} ms)")),
            new("no errors other than 503s (baseline, storm, recovery)",
                errors == 0,
                F($"{errors} errors: {all.Sum(p => p.ErrorStatuses)} non-503 statuses, {all.Sum(p => p.Timeouts)} timeouts, {all.Sum(p => p.ConnectionErrors)} connection errors, {all.Sum(p => p.NotSent)} not sent")),
            new("peak PostgreSQL connections ≤ budget",
                widgetify.PeakPgConnections <= budget,
                F($"peak {widgetify.PeakPgConnections} vs budget {budget} ({(budgetReported ? "reported by /health/ready" : F($"computed: max_connections - superuser_reserved_connections - reserved_connections - {ReservedForOtherClients}"))})")),
            new($"recovered within {MaxSecondsToRecover} s",
                widgetify.SecondsToRecover is { } s && s <= MaxSecondsToRecover,
                widgetify.SecondsToRecover is { } r ? F($"{r} s") : F($"not within {widgetify.Recovery!.Seconds} s")),
        };

        var rivals = others.Where(o => o.Number != widgetify.Number && o.Succeeded).ToList();
        if (rivals.Count == 0)
        {
            checks.Add(new TargetCheck("ahead of configurations 1-4 on goodput and p99", null, "no other configuration measured"));
        }
        else
        {
            var behind = rivals.Where(o => o.Storm!.Goodput >= storm.Goodput || (o.Storm.Successes > 0 && o.Storm.P99Ms <= storm.P99Ms)).ToList();
            checks.Add(new TargetCheck(
                "ahead of configurations 1-4 on goodput and p99",
                behind.Count == 0,
                behind.Count == 0
                    ? F($"ahead of {string.Join(", ", rivals.Select(o => o.Number))}")
                    : "not ahead of " + string.Join("; ", behind.Select(o => F($"{o.Number} ({o.Storm!.Goodput:0} req/s, p99 {o.Storm.P99Ms:0.0} ms)")))));
        }

        checks.AddRange(EvaluateDetection(widgetify));
        return checks;
    }

    /// <summary>The three detection targets for one configuration: alert, mitigation, postmortem draft. Empty when
    /// the configuration was not measured; missed (never hidden) when the service's monitoring could not be read.
    /// The postmortem target is not judged (null) while the incident has not resolved within the bench's wait.</summary>
    public static IReadOnlyList<TargetCheck> EvaluateDetection(ConfigurationResult configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!configuration.Succeeded || configuration.Detection is not { } d)
        {
            return [];
        }

        if (d.NotMeasured is { } why)
        {
            return
            [
                new(AlertTarget, false, "not measured: " + why),
                new(MitigationTarget, false, "not measured: " + why),
                new(PostmortemTarget, false, "not measured: " + why),
            ];
        }

        var alert = d.SecondsToFirstAlert is { } s
            ? new TargetCheck(AlertTarget, s <= MaxSecondsToAlert, F($"{d.FirstAlert} fired {s:0.0} s after onset"))
            : new TargetCheck(AlertTarget, false, "no alert fired after onset" + AlsoSaid(d));
        var incident = d.Incident;
        var mitigation = incident is null
            ? new TargetCheck(MitigationTarget, false, "no incident opened" + OpenAtOnset(d))
            : incident.MitigatedAfterOnsetSeconds is { } m
                ? new TargetCheck(MitigationTarget, m <= MaxSecondsToMitigate, F($"mitigated {m:0.0} s after onset (incident {Prefix(incident)})"))
                : new TargetCheck(MitigationTarget, false, F($"incident {Prefix(incident)} not mitigated within {d.ObservedSeconds:0} s of onset"));
        var postmortem = incident is null
            ? new TargetCheck(PostmortemTarget, false, "no incident opened" + OpenAtOnset(d))
            : !incident.Resolved
                ? new TargetCheck(PostmortemTarget, null, F($"not judged: incident {Prefix(incident)} not resolved within {d.ObservedSeconds:0} s of onset") +
                    (d.ActiveAtEnd.Count > 0 ? "; still active: " + string.Join(", ", d.ActiveAtEnd) : ""))
                : new TargetCheck(PostmortemTarget, incident.PostmortemWritten, incident.PostmortemWritten
                    ? F($"written ({incident.PostmortemCopy ?? incident.Postmortem})")
                    : F($"missing: incident resolved {incident.ResolvedAfterOnsetSeconds:0.0} s after onset, no draft on disk {d.ObservedSeconds - (incident.ResolvedAfterOnsetSeconds ?? 0):0} s later (reported path: {incident.Postmortem ?? "none"})"));
        return [alert, mitigation, postmortem];
    }

    private static string AlsoSaid(DetectionResult d) =>
        (d.FiringAtOnset.Count > 0 ? "; already firing at onset: " + string.Join(", ", d.FiringAtOnset) : "") +
        (d.PollFailures > 0 ? F($"; {d.PollFailures} of {2 * d.Polls} polling requests failed, last: {d.LastPollFailure}") : "");

    private static string OpenAtOnset(DetectionResult d) =>
        d.OpenAtOnset.Count > 0 ? "; an earlier incident was still open at onset (its alerts join it): " + string.Join(", ", d.OpenAtOnset) : "";

    private static string Prefix(IncidentResult incident) => Detection.DetectionTracker.Prefix(incident.Id);

    private static string Share(double part, double whole) => whole > 0 ? F($"{100 * part / whole:0}%") : "n/a";

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
