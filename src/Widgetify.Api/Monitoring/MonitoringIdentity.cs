namespace Widgetify.Api.Monitoring;

/// <summary>Who this instance is in metrics, traces, alerts and incidents: the labels every exposed series carries.</summary>
internal sealed class MonitoringIdentity
{
    /// <summary>The OpenTelemetry <c>service.name</c>: the Prometheus rules select on <c>service_name="widgetify"</c>.</summary>
    public const string ServiceName = "widgetify";

    public MonitoringIdentity(string instanceName)
    {
        InstanceName = instanceName;
        Labels = [new("service_name", ServiceName), new("service_instance_id", instanceName)];
    }

    public string InstanceName { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; }
}
