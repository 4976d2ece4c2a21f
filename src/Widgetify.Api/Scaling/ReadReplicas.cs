using Widgetify.Api.Data;
using Widgetify.Overload.Routing;
using Widgetify.Scaling.Signals;

namespace Widgetify.Api.Scaling;

/// <summary>The standbys this instance reads from, as a host that runs them sees them: <c>widgetify up</c>'s local
/// replica provider adds the standby it has just made and drains the one it is about to stop; a <c>cluster up</c>
/// instance follows its coordinator's registry of standbys the same way. Also the count by state
/// behind the <c>widgetify_replicas</c> gauge and the autoscaler's replica count.</summary>
public sealed class ReadReplicas : IReplicaStateSource
{
    private readonly WidgetifyDataSources dataSources;

    internal ReadReplicas(WidgetifyDataSources dataSources) => this.dataSources = dataSources;

    /// <summary>Puts a standby into the read rotation: it takes reads once a check finds it streaming within the allowed
    /// lag. The connection string gets the service's own timeouts.</summary>
    /// <param name="name">Its name, unique among the standbys (<c>standby-3</c>).</param>
    /// <param name="connectionString">How to reach it with the service's credentials.</param>
    /// <returns>True when it was added, or replaced an entry of that name with another address.</returns>
    public bool Add(string name, string connectionString) =>
        dataSources.Router.Add(name, dataSources.StandbyConnectionString(connectionString));

    /// <summary>Takes a standby out of rotation and waits, at most <paramref name="timeout"/>, for this instance's reads
    /// on it to finish; then forgets it. Call before stopping the server.</summary>
    /// <returns>Reads still running when the wait ended; -1 when no standby has that name.</returns>
    public Task<int> DrainAsync(string name, TimeSpan timeout, CancellationToken cancellationToken) =>
        dataSources.Router.DrainAsync(name, timeout, cancellationToken);

    /// <summary>The standbys this instance reads from now (name, address, state), in the order they were added: what a
    /// host that follows a registry of standbys compares it with.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<ReadServerStatus> Standbys() => dataSources.Router.StandbyStatuses();

    /// <inheritdoc/>
    public IReadOnlyDictionary<ReplicaState, int> CountByState() =>
        dataSources.Router.StandbyStatuses().GroupBy(s => ToReplicaState(s.State)).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>The router's state of a server as the autoscaler and <c>/api/scaling</c> name it.</summary>
    internal static ReplicaState ToReplicaState(ReadServerState state) => state switch
    {
        ReadServerState.Ready => ReplicaState.Ready,
        ReadServerState.Lagging => ReplicaState.Lagging,
        ReadServerState.Draining => ReplicaState.Draining,
        ReadServerState.Starting => ReplicaState.Starting,
        _ => ReplicaState.Down,
    };
}
