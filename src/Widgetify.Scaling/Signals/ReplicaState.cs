namespace Widgetify.Scaling.Signals;

/// <summary>What a standby is doing, as <c>/api/scaling</c> and the <c>widgetify.replicas</c> gauge say it.</summary>
public enum ReplicaState
{
    /// <summary>Serving reads.</summary>
    Ready,

    /// <summary>Running, but further behind the primary than allowed: out of rotation until it catches up.</summary>
    Lagging,

    /// <summary>Leaving: out of rotation, its reads in flight finishing before it stops.</summary>
    Draining,

    /// <summary>Being created or catching up for the first time.</summary>
    Starting,

    /// <summary>Not answering.</summary>
    Down,
}
