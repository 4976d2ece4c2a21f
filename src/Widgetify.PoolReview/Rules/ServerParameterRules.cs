using static Widgetify.PoolReview.Rules.ReviewText;

namespace Widgetify.PoolReview.Rules;

/// <summary>The server's own guards and the pool's recycling: idle transactions, idle sessions, connection lifetime,
/// and room for administrators and monitoring.</summary>
internal static class ServerParameterRules
{
    /// <summary>Recommended <c>idle_in_transaction_session_timeout</c>: a minute. No Widgetify transaction waits on its
    /// client longer than a request deadline (seconds); a minute still leaves an operator's psql session time to think.</summary>
    internal const long IdleInTransactionRecommendedMs = 60_000;

    /// <summary>Recommended <c>Connection Lifetime</c>: an hour, so a busy pool renews its connections (backend memory,
    /// a server replaced behind the same address) without churn.</summary>
    internal const int ConnectionLifetimeRecommendedSeconds = 3_600;

    /// <summary>PostgreSQL's default <c>superuser_reserved_connections</c>.</summary>
    internal const int SuperuserReservedRecommended = 3;

    public static IEnumerable<Finding> Review(ServerReviewInput server)
    {
        var (settings, facts, _) = server;
        if (facts.IdleInTransactionSessionTimeoutMs == 0)
        {
            yield return new Finding(
                FindingSeverity.Warning, settings.Server, "postgresql:idle_in_transaction_session_timeout", 0L, IdleInTransactionRecommendedMs,
                F("Off on {0}: a session left idle in a transaction (a client that died mid-transaction, a forgotten psql) keeps its " +
                  "connection slot and its locks and holds back VACUUM indefinitely; {1} ms ends it while giving an operator a minute.",
                  settings.Server, IdleInTransactionRecommendedMs));
        }

        if (facts.IdleSessionTimeoutMs > 0 && facts.IdleSessionTimeoutMs < settings.ConnectionIdleLifetimeSeconds * 1000L)
        {
            yield return new Finding(
                FindingSeverity.Warning, settings.Server, "postgresql:idle_session_timeout", facts.IdleSessionTimeoutMs, 0L,
                F("{0} closes sessions idle for {1} ms, before the pool prunes them after Connection Idle Lifetime {2} s, so requests " +
                  "take connections the server already closed; turn it off for pooled clients (0) or set it above {2} s.",
                  settings.Server, facts.IdleSessionTimeoutMs, settings.ConnectionIdleLifetimeSeconds));
        }

        if (settings.ConnectionLifetimeSeconds == 0)
        {
            yield return new Finding(
                FindingSeverity.Info, settings.Server, settings.ConnectionStringSetting + " (Connection Lifetime)", 0, ConnectionLifetimeRecommendedSeconds,
                F("Connection Lifetime 0: a pool busy enough never to idle for Connection Idle Lifetime ({0} s) keeps each connection " +
                  "for ever (backend memory grows, a server replaced behind the same address is never reached); {1} s recycles them.",
                  settings.ConnectionIdleLifetimeSeconds, ConnectionLifetimeRecommendedSeconds));
        }

        if (facts.SuperuserReservedConnections + facts.ReservedConnections == 0)
        {
            yield return new Finding(
                FindingSeverity.Warning, settings.Server, "postgresql:superuser_reserved_connections", 0, SuperuserReservedRecommended,
                F("{0} reserves no connection (superuser_reserved_connections 0, reserved_connections 0): once max_connections {1} " +
                  "are taken not even an administrator can connect to fix it; {2} is PostgreSQL's default.",
                  settings.Server, facts.MaxConnections, SuperuserReservedRecommended));
        }

        if (settings.ReservedForOtherClients == 0)
        {
            var recommended = Math.Max(facts.OtherClients, settings.IsPrimary ? 10 : 3);
            yield return new Finding(
                FindingSeverity.Warning, settings.Server, settings.ReservedForOtherClientsSetting, 0, recommended,
                F("The budget keeps no connection of {0} for psql, monitoring or backups ({1} other clients connected now): they " +
                  "compete with the pools for the last slots; {2} leaves them room.", settings.Server, facts.OtherClients, recommended));
        }
        else if (settings.BudgetEnforced && facts.OtherClients > settings.ReservedForOtherClients)
        {
            yield return new Finding(
                FindingSeverity.Warning, settings.Server, settings.ReservedForOtherClientsSetting, settings.ReservedForOtherClients, facts.OtherClients,
                F("{0} clients that are not Widgetify are connected to {1} now, more than the {2} the budget keeps for them, so the " +
                  "budget hands their connections to the pools; {0} or more.", facts.OtherClients, settings.Server, settings.ReservedForOtherClients));
        }
    }
}
