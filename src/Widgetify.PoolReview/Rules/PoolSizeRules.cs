using static Widgetify.PoolReview.Rules.ReviewText;

namespace Widgetify.PoolReview.Rules;

/// <summary>Is the pool the right size: small enough that the fleet fits the server (critical when not), and close to
/// what the history says it needs (Little's law, cross-checked with HikariCP's formula). docs/pool-review.md gives the
/// formulas and their sources.</summary>
internal static class PoolSizeRules
{
    /// <summary>The least history a size is recommended from: an hour of minutes.</summary>
    internal const int MinimumHistoryMinutes = 60;

    /// <summary>An acquire-wait p99 from which waits count as seen: a pool that hands a connection over within 10 ms
    /// is not what slows a request.</summary>
    internal const double WaitSeenSeconds = 0.010;

    /// <summary>Headroom over the need: a quarter, at least 2 connections.</summary>
    internal static int WithHeadroom(int needed) => needed + Math.Max(2, (int)Math.Ceiling(needed * 0.25));

    /// <summary>The largest per-instance pool the server affords once other clients have their room: as the budget divides
    /// it (<c>SharePlanner</c>), each instance pays its own connections (<see cref="OwnConnections"/>) and as many seats
    /// stay free for the next instance to open its own (<see cref="SeatsKeptForNewcomers"/>).</summary>
    internal static int SafePerInstance(ServerFacts facts, ServerSettings settings, int instances)
    {
        var budget = facts.AcceptsForOrdinaryRoles - RoomForOthers(facts, settings);
        return Math.Max(0, (budget - (instances * OwnConnections(settings)) - SeatsKeptForNewcomers(settings)) / instances);
    }

    /// <summary>What each instance holds on this server outside its pool, as the budget counts it: on the primary the
    /// control connection and the notification listener (<c>SharePlanner.OwnConnectionsPerInstance</c>), on a standby
    /// the probe.</summary>
    internal static int OwnConnections(ServerSettings settings) => settings.IsPrimary ? 2 : 1;

    /// <summary>Seats kept free so that the next instance to start can open its own connections here
    /// (<c>SharePlanner.SeatsKeptForNewcomers</c>): as many as one instance's own connections.</summary>
    internal static int SeatsKeptForNewcomers(ServerSettings settings) => OwnConnections(settings);

    private static int RoomForOthers(ServerFacts facts, ServerSettings settings) => Math.Max(settings.ReservedForOtherClients, facts.OtherClients);

    private static string OwnConnectionsText(ServerSettings settings) =>
        settings.IsPrimary ? "2 control and listener connections" : "1 probe connection";

    /// <summary>Can the instances' pools together exceed what the server accepts?</summary>
    public static IEnumerable<Finding> Capacity(ServerReviewInput server, int instances, string instancesSource)
    {
        var (settings, facts, _) = server;
        if (settings.MaxPoolSize is not { } pool)
        {
            yield break; // follows the budget: it cannot exceed the server by construction
        }

        var safe = SafePerInstance(facts, settings, instances);
        var accepts = facts.AcceptsForOrdinaryRoles - facts.OtherClients;
        var fleet = instances * (pool + OwnConnections(settings));
        var room = RoomForOthers(facts, settings);
        var fits = safe >= 1
            ? F("{0} per instance fits, leaving {1} for other clients ({2} {3}, {4} connected now)",
                safe, room, settings.ReservedForOtherClientsSetting, settings.ReservedForOtherClients, facts.OtherClients)
            : F("no pool fits: raise postgresql:max_connections to at least {0}",
                facts.MaxConnections - facts.AcceptsForOrdinaryRoles + room + (instances * (1 + OwnConnections(settings))) + SeatsKeptForNewcomers(settings));
        var clamp = settings.BudgetEnforced
            ? "the budget clamps it at run time, but the setting stays wrong"
            : "nothing clamps it at run time (ConnectionBudget:Enabled is false)";
        if (fleet > accepts)
        {
            yield return new Finding(
                FindingSeverity.Critical, settings.Server, settings.MaxPoolSizeSetting, pool, safe >= 1 ? safe : null,
                F("{0} instance(s) ({1}) x (Max Pool Size {2} + {3}) = {4} connections can exceed the {5} this server " +
                  "accepts (max_connections {6} - superuser_reserved_connections {7} - reserved_connections {8} - {9} other clients " +
                  "connected now); {10}; {11}.",
                  instances, instancesSource, pool, OwnConnectionsText(settings), fleet, accepts, facts.MaxConnections,
                  facts.SuperuserReservedConnections, facts.ReservedConnections, facts.OtherClients, fits, clamp));
        }
        else if (pool > safe)
        {
            yield return new Finding(
                settings.BudgetEnforced ? FindingSeverity.Info : FindingSeverity.Warning, settings.Server, settings.MaxPoolSizeSetting,
                pool, safe >= 1 ? safe : null,
                F("{0} instance(s) x (Max Pool Size {1} + {2}) = {3} connections fit the {4} the server accepts but not " +
                  "the room kept for other clients; {5}; {6}.",
                  instances, pool, OwnConnectionsText(settings), fleet, accepts, fits, clamp));
        }
    }

    /// <summary>Does the history say the pool is far too large, or too small (waits seen)?</summary>
    public static IEnumerable<Finding> FromHistory(ServerReviewInput server, int instances)
    {
        var (settings, facts, history) = server;
        var safe = SafePerInstance(facts, settings, instances);
        var effective = settings.MaxPoolSize is { } configured ? Math.Min(configured, Math.Max(safe, 1)) : Math.Max(safe, 1);
        var current = settings.MaxPoolSize ?? effective;
        var described = settings.MaxPoolSize is null ? F("the pool (not set: it follows the budget, {0} per instance)", effective) : F("Max Pool Size {0}", current);
        if (history is null || history.MinutesCovered < MinimumHistoryMinutes)
        {
            yield return new Finding(
                FindingSeverity.Info, settings.Server, settings.MaxPoolSizeSetting, current, null,
                F("Not enough history: {0} minute(s) of pool history recorded for {1}, and no size is recommended from less than {2}.",
                  history?.MinutesCovered ?? 0, settings.Server, MinimumHistoryMinutes));
            yield break;
        }

        // Little's law: connections in use = rate of opens x time each is held. With the largest hold-time p99 and the
        // peak open rate, no recorded minute needed more; the peak actually in use is the floor either way.
        var littles = history.MaxHoldTimeP99Seconds is { } hold ? (int)Math.Ceiling(history.PeakOpenRate * hold) : (int?)null;
        var needed = Math.Max(history.PeakInUse, littles ?? 0);
        var recommended = WithHeadroom(needed);
        if (safe >= 1)
        {
            recommended = Math.Min(recommended, safe);
        }

        var basis = littles is { } l
            ? F("peak {0:0.##} opens/s x hold-time p99 {1:0.###} s = {2} (Little's law), peak in use {3}, over {4} minutes",
                history.PeakOpenRate, history.MaxHoldTimeP99Seconds, l, history.PeakInUse, history.MinutesCovered)
            : F("peak in use {0} over {1} minutes (hold time is not measured on a standby)", history.PeakInUse, history.MinutesCovered);
        var hikari = facts.CpuCores is { } cores
            ? F("; HikariCP's cores x 2 + effective_spindle_count gives {0} for the server's {1} cores, against {2} for {3} instance(s) at {4}",
                cores * 2, cores, instances * recommended, instances, recommended)
            : "";
        var waited = history.PeakWaiting > 0 || history.Timeouts > 0 || history.AcquireWaitP99Seconds >= WaitSeenSeconds;
        if (waited)
        {
            var waits = F("acquire waits seen: p99 {0:0.###} s, up to {1} waiting at once, {2} timeout(s)",
                history.AcquireWaitP99Seconds ?? 0, history.PeakWaiting, history.Timeouts ?? 0);
            var wanted = Math.Max(recommended, effective + history.PeakWaiting);
            if (safe >= 1 && effective >= safe)
            {
                yield return new Finding(
                    FindingSeverity.Warning, settings.Server, settings.MaxPoolSizeSetting, current, null,
                    F("{0} on {1} with {2} already at the {3} per instance the server affords: shorten the hold time, move reads " +
                      "to standbys or raise postgresql:max_connections ({4}{5}).", Capitalize(waits), settings.Server, described, safe, basis, hikari));
            }
            else
            {
                var raised = safe >= 1 ? Math.Min(wanted, safe) : wanted;
                yield return new Finding(
                    FindingSeverity.Warning, settings.Server, settings.MaxPoolSizeSetting, current, raised,
                    F("{0} with {1}: {2} per instance covers them ({3}{4}).", Capitalize(waits), described, raised, basis, hikari))
                {
                    DrawnFromHistoryMinutes = history.MinutesCovered,
                };
            }
        }
        else if (effective >= 2 * recommended && effective - recommended >= 5)
        {
            yield return new Finding(
                FindingSeverity.Warning, settings.Server, settings.MaxPoolSizeSetting, current, recommended,
                F("{0} is far larger than the pool ever needed: {1}, plus headroom = {2}{3}.", Capitalize(described), basis, recommended, hikari))
            {
                DrawnFromHistoryMinutes = history.MinutesCovered,
            };
        }
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
