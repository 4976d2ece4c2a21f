using Microsoft.AspNetCore.Http;
using Widgetify.Core.Traffic;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Endpoint metadata that gives an endpoint a priority other than the one its HTTP method implies.</summary>
/// <param name="Priority">The priority; null means "by HTTP method": GET and HEAD are reads, the rest writes.</param>
public sealed record AdmissionEndpointMetadata(RequestPriority? Priority)
{
    /// <summary>Whether a request to <paramref name="endpoint"/> skips admission: no endpoint at all (404, 405), or an
    /// operators' endpoint (<see cref="TrafficExtensions.ForOperators{TBuilder}"/>) that did not ask for a priority, so
    /// scrapes, the dashboard and the liveness probe stay reachable under any load. An operators' endpoint that does
    /// database work on the request pool (the readiness probe) asks for <see cref="RequestPriority.Critical"/>.</summary>
    public static bool Bypasses(Endpoint? endpoint, AdmissionEndpointMetadata? metadata) =>
        endpoint is null || (metadata is null && endpoint.IsForOperators());

    /// <summary>The priority of a request to an endpoint with this metadata (or none).</summary>
    public static RequestPriority PriorityOf(AdmissionEndpointMetadata? metadata, string method) =>
        metadata?.Priority ?? (HttpMethodIsRead(method) ? RequestPriority.Read : RequestPriority.Write);

    private static bool HttpMethodIsRead(string method) =>
        Microsoft.AspNetCore.Http.HttpMethods.IsGet(method) || Microsoft.AspNetCore.Http.HttpMethods.IsHead(method);
}
