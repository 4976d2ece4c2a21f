using Widgetify.Scaling.Law;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Providers;

/// <summary>One scaling action for a <see cref="IReplicaProvider"/>.</summary>
public sealed record ScalingAction
{
    /// <summary>Which way: <see cref="ScalingDirection.Out"/>, <see cref="ScalingDirection.In"/> or
    /// <see cref="ScalingDirection.Replace"/>; never <see cref="ScalingDirection.None"/>.</summary>
    public required ScalingDirection Direction { get; init; }

    /// <summary>Standbys the autoscaler counts now.</summary>
    public required int CurrentReplicas { get; init; }

    /// <summary>Standbys wanted after the action. The count to reach, not a delta: the provider compares it with what it
    /// really has, so a stale <see cref="CurrentReplicas"/> does no harm.</summary>
    public required int DesiredReplicas { get; init; }

    /// <summary>The configured bounds, for a provider that checks them again.</summary>
    public required int MinReplicas { get; init; }

    /// <summary>The configured upper bound.</summary>
    public required int MaxReplicas { get; init; }

    /// <summary>Why, in the words of the law: which signal, its value, the settings involved.</summary>
    public required string Reason { get; init; }

    /// <summary>When it was decided.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The attempt, from 1; above 1 for a retry.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>The latest second of signals when it was decided; null for an action not driven by them.</summary>
    public ReadPathSignals? Signals { get; init; }
}
