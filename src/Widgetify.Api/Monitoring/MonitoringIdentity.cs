namespace Widgetify.Api.Monitoring;

/// <summary>Who this instance is in metrics, alerts and incidents: the labels every exposed series carries.</summary>
internal sealed class MonitoringIdentity
{
    public MonitoringIdentity(string instanceName)
    {
        InstanceName = instanceName;
        Labels = [new("service_name", "widgetify"), new("service_instance_id", instanceName)];
    }

    public string InstanceName { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; }
}
