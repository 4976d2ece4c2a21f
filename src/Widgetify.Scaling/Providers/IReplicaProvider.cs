namespace Widgetify.Scaling.Providers;

/// <summary>Adds and removes standbys. The autoscaler calls one action at a time and retries a failed one with backoff,
/// so an implementation makes one attempt and reports how it went; it should be idempotent on
/// <see cref="ScalingAction.DesiredReplicas"/> (a retry after a half-done attempt asks for the same count again).</summary>
public interface IReplicaProvider
{
    /// <summary>Brings the number of standbys to <see cref="ScalingAction.DesiredReplicas"/>.</summary>
    /// <param name="action">What to do and why.</param>
    /// <param name="cancellationToken">Cancelled when the service stops or this instance loses the leader lease; the
    /// attempt should stop what it can and return or throw.</param>
    /// <returns>Whether it worked, what happened, and the read endpoints now available if the provider knows them.</returns>
    Task<ScalingActionResult> ApplyAsync(ScalingAction action, CancellationToken cancellationToken);
}
