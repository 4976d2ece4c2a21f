using System.Globalization;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>The sentences that tell an operator what the budget did and which setting to change.</summary>
internal static class BudgetReason
{
    /// <summary>Why the pool is what it is while the budget is enforced.</summary>
    public static string Explain(
        int? configured, int applied, ServerConnectionLimits limits, int reservedForOtherClients, int budget, SharePlan plan) =>
        Format(
            "{0}, {1} applied: PostgreSQL allows max_connections {2} - superuser_reserved_connections {3} " +
            "- reserved_connections {4} - {5} kept for other clients (Widgetify:ConnectionBudget:ReservedForOtherClients) = {6}, " +
            "shared by {7} instance(s), {12} per instance going to its control connection and notification listener. " +
            "Share {8} of a fair {9}, with {10} kept free for the next instance to start (its control connection and listener){11}.",
            Configured(configured), applied, limits.MaxConnections, limits.SuperuserReservedConnections, limits.ReservedConnections,
            reservedForOtherClients, budget, plan.Instances, plan.Share, plan.Target, SharePlanner.SeatsKeptForNewcomers,
            Outlook(budget, plan), SharePlanner.OwnConnectionsPerInstance);

    /// <summary>Why the pool is unbounded.</summary>
    public static string Disabled(int configured) =>
        Format(
            "Max Pool Size {0} configured, {0} applied: the connection budget is disabled (Widgetify:ConnectionBudget:Enabled = false), " +
            "so nothing keeps the pools of all instances within PostgreSQL's max_connections.",
            configured);

    /// <summary>Why nothing may be opened before the first renewal.</summary>
    public static string NotStarted(int? configured) =>
        Format("{0}, none applied yet: no connection until StartAsync has taken a lease.", Configured(configured));

    /// <summary>What was asked for: a Max Pool Size, or none (the pool follows the budget).</summary>
    private static string Configured(int? configured) => configured is { } size
        ? Format("Max Pool Size {0} configured", size)
        : "Max Pool Size not set (Widgetify:Database:MaxPoolSize), so the pool follows the budget";

    /// <summary>Why the share dropped to 0 after renewals failed.</summary>
    public static string LeaseLost(string previous, TimeSpan leaseDuration) =>
        Format(
            "Lease not renewed for {0} (Widgetify:ConnectionBudget:LeaseDuration), so peers may have taken its share: share 0 " +
            "until a renewal succeeds. Before: {1}",
            leaseDuration, previous);

    /// <summary>Why the share is 0 after a graceful stop.</summary>
    public static string Stopped() => "Stopped: the lease was released, so this instance may not open connections any more.";

    private static string Outlook(int budget, SharePlan plan)
    {
        if (budget - SharePlanner.OwnConnectionsPerInstance - SharePlanner.SeatsKeptForNewcomers < 1)
        {
            return "; that leaves no connection for this instance even alone: raise max_connections or lower " +
                "Widgetify:ConnectionBudget:ReservedForOtherClients";
        }

        return plan.Share < plan.Target ? "; it grows as the other instances shrink to their fair share on their next heartbeat" : "";
    }

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
