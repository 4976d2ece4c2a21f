namespace Widgetify.Observability;

/// <summary>Who this instance is in metrics, traces, alerts and incidents: the labels every exposed series carries.</summary>
public sealed class MonitoringIdentity
{
    /// <summary>The OpenTelemetry <c>service.name</c>: the Prometheus rules select on <c>service_name="widgetify"</c>.</summary>
    public const string ServiceName = "widgetify";

    /// <summary>The identity of the instance called <paramref name="instanceName"/> (unique in the fleet).</summary>
    public MonitoringIdentity(string instanceName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceName);
        InstanceName = instanceName;
        Labels = [new("service_name", ServiceName), new("service_instance_id", instanceName)];
    }

    /// <summary>This instance's name: <c>service_instance_id</c>.</summary>
    public string InstanceName { get; }

    /// <summary>The labels every series and notification of this instance carries.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; }
}
