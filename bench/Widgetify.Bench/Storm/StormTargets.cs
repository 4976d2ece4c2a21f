using System.Globalization;
using Widgetify.Bench.Reporting;
using Widgetify.Reliability.PoolGovernance;

namespace Widgetify.Bench.Storm;

/// <summary>The overload targets configuration 5 (Widgetify's defaults) must meet in the storm.</summary>
internal static class StormTargets
{
    public const double MinGoodputShareOfCapacity = 0.9;
    public const double MaxP99FactorOverUnloaded = 3.0;
    public const int MaxSecondsToRecover = 2;

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

        return checks;
    }

    private static string Share(double part, double whole) => whole > 0 ? F($"{100 * part / whole:0}%") : "n/a";

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
