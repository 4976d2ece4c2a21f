namespace Widgetify.Reliability.AdmissionControl;

/// <summary>Endpoint metadata that sets how admission control treats an endpoint: its priority, or no admission
/// at all for endpoints that never touch the database (liveness, OpenAPI document).</summary>
/// <param name="Priority">The priority; null means "by HTTP method": GET and HEAD are reads, the rest writes.</param>
/// <param name="Bypass">True when the endpoint does no database work and must stay reachable under any load.</param>
public sealed record AdmissionEndpointMetadata(RequestPriority? Priority, bool Bypass = false)
{
    /// <summary>The priority of a request to an endpoint with this metadata (or none).</summary>
    public static RequestPriority PriorityOf(AdmissionEndpointMetadata? metadata, string method) =>
        metadata?.Priority ?? (HttpMethodIsRead(method) ? RequestPriority.Read : RequestPriority.Write);

    private static bool HttpMethodIsRead(string method) =>
        Microsoft.AspNetCore.Http.HttpMethods.IsGet(method) || Microsoft.AspNetCore.Http.HttpMethods.IsHead(method);
}
