using Widgetify.Scaling.Law;

namespace Widgetify.Scaling.Decisions;

/// <summary>One scaling decision as recorded: the <c>decisions</c> of <c>GET /api/scaling</c>, the dashboard's timeline.</summary>
public sealed record ScalingDecisionRecord
{
    /// <summary>Its key in the decisions table; 0 when it could not be stored.</summary>
    public long Id { get; init; }

    /// <summary>When it was decided.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The instance that decided (the leader at the time).</summary>
    public required string Instance { get; init; }

    /// <summary>Which way; a <see cref="ScalingDirection.Replace"/> adds standbys, so an API limited to <c>out</c> and
    /// <c>in</c> shows it as <c>out</c>.</summary>
    public required ScalingDirection Direction { get; init; }

    /// <summary>Standbys before.</summary>
    public required int From { get; init; }

    /// <summary>Standbys wanted.</summary>
    public required int To { get; init; }

    /// <summary>Why, naming the signal and its value.</summary>
    public required string Reason { get; init; }

    /// <summary>How the action ended, or that it has not yet.</summary>
    public required ScalingResult Result { get; init; }

    /// <summary>What the provider said: its message, or why it failed.</summary>
    public string? Message { get; init; }

    /// <summary>When the action ended; null while pending.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Standbys after the action by the provider's count; null when it did not say.</summary>
    public int? ReplicasAfter { get; init; }
}
