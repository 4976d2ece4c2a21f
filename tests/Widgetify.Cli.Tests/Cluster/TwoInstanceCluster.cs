namespace Widgetify.Cli.Tests.Cluster;

/// <summary>One 2-instance cluster shared by <see cref="ClusterCommandTests"/>: starting one costs tens of seconds.
/// Leases expire after 2 s (so a killed instance's share comes back within the test) and a crashed instance is started
/// again only after 20 s (so the test sees the share come back before the supervisor brings the instance back).</summary>
public sealed class TwoInstanceCluster : IAsyncLifetime
{
    private RunningCluster? _cluster;

    internal RunningCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        var environment = new Dictionary<string, string>(RunningCluster.CalmAdmission)
        {
            ["Widgetify__ConnectionBudget__LeaseDuration"] = "00:00:02",
            ["Widgetify__ConnectionBudget__HeartbeatInterval"] = "00:00:00.500",
            ["Widgetify__Cluster__RestartDelay"] = "00:00:20",
            // Not the default (10), so that 'cluster status' is seen to use the instances' setting for the budget.
            ["Widgetify__ConnectionBudget__ReservedForOtherClients"] = "12",
        };
        _cluster = await RunningCluster.StartAsync(2, environment);
    }

    public Task DisposeAsync()
    {
        _cluster?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The cluster tests start real fleets; two at once would only starve each other on a small machine, so they
/// run one after another in this collection. Beside the other CLI tests, though: a collection that disables
/// parallelisation runs only after every other collection has finished, and this chain (a few minutes on a loaded
/// machine) then ran alone with one core idle. <see cref="Widgetify.Testing.ChainsFirstCollectionOrderer"/> starts it
/// first instead.</summary>
[CollectionDefinition(Name)]
public sealed class SerialFleets
{
    public const string Name = "cluster";
}
