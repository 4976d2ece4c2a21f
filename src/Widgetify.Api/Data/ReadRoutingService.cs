using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Data;

/// <summary>Puts the configured standbys into the read rotation and keeps checking every standby (configured, or added
/// later by the autoscaler) for as long as the service runs.</summary>
internal sealed class ReadRoutingService(WidgetifyDataSources dataSources, PoolGovernor governor, IConfiguration configuration)
    : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the first request: a bad entry stops the start with a message that names it.
        foreach (var (name, connectionString) in ConfiguredReplicas.Read(configuration))
        {
            dataSources.Router.Add(name, dataSources.StandbyConnectionString(connectionString));
        }

        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        dataSources.Router.RunChecksAsync(governor.ControlDataSource, () => governor.Current.Instances, stoppingToken);
}
