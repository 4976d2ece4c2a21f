using OpenTelemetry.Resources;

namespace Widgetify.Observability.Metrics;

/// <summary>Names the service and this instance on every metric and span: the Prometheus exporter turns these two
/// attributes into the <c>service_name</c> and <c>service_instance_id</c> labels the rules group by.</summary>
internal sealed class MonitoringResourceDetector(MonitoringIdentity identity) : IResourceDetector
{
    public Resource Detect() => new(
    [
        new("service.name", MonitoringIdentity.ServiceName),
        new("service.instance.id", identity.InstanceName),
    ]);
}
