namespace Widgetify.Core.Traffic;

/// <summary>Marks an endpoint as operators' or probes' (metrics scrapes, the dashboard, the operator API, health probes,
/// the OpenAPI document), not visitors' or site owners'. Admission control lets it through unless it asks for a
/// priority, and every measure of users' experience leaves it out: the per-second signals the alerts read, an
/// incident's impact, the dashboard. One marker, so those three can never disagree about what user traffic is.</summary>
public sealed class OperatorEndpointMetadata
{
    /// <summary>The one instance; the marker carries no data.</summary>
    public static readonly OperatorEndpointMetadata Instance = new();

    private OperatorEndpointMetadata()
    {
    }
}
