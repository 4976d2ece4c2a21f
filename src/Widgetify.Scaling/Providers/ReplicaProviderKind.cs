namespace Widgetify.Scaling.Providers;

/// <summary>Who adds and removes standbys (<c>Widgetify:Scaling:Provider</c>).</summary>
public enum ReplicaProviderKind
{
    /// <summary>Standbys on this machine, started from the primary with pg_basebackup. The host that runs them (the
    /// CLI's <c>up</c>) registers the provider as a keyed <see cref="IReplicaProvider"/> under this value.</summary>
    Local,

    /// <summary>An executable given the action as JSON on standard input (<see cref="ScalingCommandOptions"/>).</summary>
    Command,
}
