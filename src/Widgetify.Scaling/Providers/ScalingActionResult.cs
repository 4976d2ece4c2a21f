namespace Widgetify.Scaling.Providers;

/// <summary>How an attempt at a <see cref="ScalingAction"/> went.</summary>
public sealed record ScalingActionResult
{
    /// <summary>Whether the standbys are now as asked.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>What happened, for the log and the decision record; for a failure, why (a command's last lines of
    /// standard error) and what to check.</summary>
    public required string Message { get; init; }

    /// <summary>The read endpoints available after the action, for the router to add or remove; null when the provider
    /// does not say (the router keeps what it has).</summary>
    public IReadOnlyList<ReadEndpoint>? Endpoints { get; init; }

    /// <summary>Standbys that exist after the action by the provider's own count; null when it does not say. A provider
    /// whose standbys hide behind one service endpoint (a Kubernetes <c>-ro</c> service, Aurora's reader endpoint)
    /// reports it, and from then on the autoscaler counts from it rather than from the router. A provider whose standbys
    /// the router sees one by one (local) leaves it null, so that a standby that dies later is still noticed.</summary>
    public int? Replicas { get; init; }

    /// <summary>A success.</summary>
    public static ScalingActionResult Success(string message, IReadOnlyList<ReadEndpoint>? endpoints = null, int? replicas = null) =>
        new() { Succeeded = true, Message = message, Endpoints = endpoints, Replicas = replicas };

    /// <summary>A failure.</summary>
    public static ScalingActionResult Failure(string message) => new() { Succeeded = false, Message = message };
}
