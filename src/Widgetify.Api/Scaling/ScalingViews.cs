using Npgsql;
using Widgetify.Overload.Routing;
using Widgetify.Scaling;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Law;

namespace Widgetify.Api.Scaling;

/// <summary><c>GET /api/scaling</c>: the autoscaler's settings, every server this instance reads from, and the fleet's
/// recent decisions, newest first.</summary>
internal sealed record ScalingResponse(AutoscalerView Autoscaler, IReadOnlyList<ServerView> Servers, IReadOnlyList<DecisionView> Decisions);

/// <summary>The autoscaler's bounds and provider (<c>enabled</c> when MaxReplicas is above MinReplicas), whether this
/// instance runs the fleet's loop, and the read path's latest saturation (1 is at target).</summary>
internal sealed record AutoscalerView(bool Enabled, int MinReplicas, int MaxReplicas, string Provider, bool Leading, double? Saturation)
{
    public static AutoscalerView From(ScalingOptions options, ScalingMetrics metrics) => new(
        options.Enabled, options.MinReplicas, options.MaxReplicas, options.Provider.ToString().ToLowerInvariant(), metrics.Leading,
        metrics.Saturation is { } saturation ? Math.Round(saturation, 3) : null);
}

/// <summary>One database server: <c>role</c> is <c>primary</c> or <c>standby</c>; <c>state</c> is <c>ready</c>,
/// <c>lagging</c>, <c>draining</c>, <c>starting</c> or <c>down</c>; <c>readsServed</c>, <c>inFlight</c> and
/// <c>connections</c> (the share of it this instance may use) are this instance's.</summary>
internal sealed record ServerView(
    string Name, string Role, string Host, int Port, string State, long LagBytes, double LagSeconds, long ReadsServed, int InFlight,
    int Connections, string? Problem)
{
    public static ServerView From(ReadServerStatus server) => new(
        server.Name, server.Role, server.Host, server.Port, StateName(server.State), server.Lag.Bytes, Math.Round(server.Lag.Time.TotalSeconds, 3),
        server.ReadsServed, server.InFlight, server.Share, server.Problem);

    /// <summary>The primary as this instance reaches it: ready while the monitoring sampler reaches it.</summary>
    public static ReadServerStatus Primary(string connectionString, bool up, int inUse, int share)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        return new ReadServerStatus(
            ReadRouter.PrimaryName, "primary", csb.Host ?? "localhost", csb.Port, up ? ReadServerState.Ready : ReadServerState.Down,
            ReplicationLag.None, 0, inUse, share, up ? null : "the monitoring sampler cannot reach it");
    }

    private static string StateName(ReadServerState state) => ReadReplicas.ToReplicaState(state).ToString().ToLowerInvariant();
}

/// <summary>One scaling decision: <c>direction</c> is <c>out</c> or <c>in</c> (a replacement of dead standbys adds
/// them, so it is <c>out</c>, with <c>replacement</c> true); <c>result</c> is <c>pending</c>, <c>succeeded</c> or
/// <c>failed</c>.</summary>
internal sealed record DecisionView(
    DateTimeOffset At, string Direction, int From, int To, string Reason, string Result, string? Message, DateTimeOffset? CompletedAt,
    string Instance, bool Replacement)
{
    public static DecisionView Of(ScalingDecisionRecord decision) => new(
        decision.At, ScalingViews.DirectionName(decision.Direction), decision.From, decision.To, decision.Reason,
        decision.Result.ToString().ToLowerInvariant(), decision.Message, decision.CompletedAt, decision.Instance,
        decision.Direction == ScalingDirection.Replace);
}

/// <summary>Names shared by the views and the timeline.</summary>
internal static class ScalingViews
{
    /// <summary><c>out</c> or <c>in</c>: a replacement adds standbys.</summary>
    public static string DirectionName(ScalingDirection direction) => direction == ScalingDirection.In ? "in" : "out";
}
