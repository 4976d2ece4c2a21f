namespace Widgetify.Scaling.Law;

/// <summary>Which way a scaling decision moves the number of standbys.</summary>
public enum ScalingDirection
{
    /// <summary>No change.</summary>
    None,

    /// <summary>One standby more: the read path stayed saturated for the scale-out window.</summary>
    Out,

    /// <summary>One standby fewer: the read path stayed well below target for the scale-in window, and the load fits on
    /// one fewer.</summary>
    In,

    /// <summary>Back up to the minimum: standbys died. Adds standbys like <see cref="Out"/>, so an API that knows only
    /// <c>out</c> and <c>in</c> shows it as <c>out</c>.</summary>
    Replace,
}
