namespace Widgetify.Scaling.Signals;

/// <summary>Counts the standbys by state for the <c>widgetify.replicas</c> gauge; the service implements it from the
/// router's view of its servers. Called on every metrics collection, so it must be cheap and must not block.</summary>
public interface IReplicaStateSource
{
    /// <summary>How many standbys are in each state now; a state left out counts 0.</summary>
    IReadOnlyDictionary<ReplicaState, int> CountByState();
}
