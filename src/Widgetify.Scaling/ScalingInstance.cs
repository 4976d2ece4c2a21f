using Npgsql;

namespace Widgetify.Scaling;

/// <summary>What the autoscaler needs to know of the service instance it runs in.</summary>
public sealed class ScalingInstance
{
    /// <summary>The instance's own connection to the primary for control work (the lease, the decisions), not the request
    /// pool: the autoscaler must keep its lease while that pool is exhausted, which is when it is needed most.</summary>
    public required NpgsqlDataSource ControlConnection { get; init; }

    /// <summary>Names the instance in the lease table, the decisions and the logs.</summary>
    public required string InstanceName { get; init; }
}
