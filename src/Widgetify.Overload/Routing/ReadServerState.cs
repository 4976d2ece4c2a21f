namespace Widgetify.Overload.Routing;

/// <summary>Where a read server stands in the rotation (the <c>state</c> of <c>GET /api/scaling</c>).</summary>
public enum ReadServerState
{
    /// <summary>Added, not yet streaming or not yet checked: takes no reads.</summary>
    Starting,

    /// <summary>Streaming within the allowed lag: takes reads.</summary>
    Ready,

    /// <summary>Reachable but further behind than <c>Database:Replicas:MaxLag</c>: out of rotation until it catches up.</summary>
    Lagging,

    /// <summary>Leaving (scale-in): takes no new reads, finishes the ones it has.</summary>
    Draining,

    /// <summary>Unreachable, or not a standby any more: out of rotation.</summary>
    Down,
}
