using System.Net;
using Microsoft.AspNetCore.Http;
using Widgetify.Core.Traffic;

namespace Widgetify.Incidents.Impact;

/// <summary>Records each request's client and outcome once the rest of the pipeline has answered.</summary>
internal sealed class ClientImpactMiddleware(RequestDelegate next, ClientImpactTracker tracker)
{
    // A forwarded-for value longer than any address is garbage; truncating bounds the memory one request can take.
    private const int MaxKeyLength = 64;

    public async Task InvokeAsync(HttpContext context)
    {
        var failed = false;
        try
        {
            await next(context);
        }
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            failed = true; // the server answers 500
            throw;
        }
        finally
        {
            // Operators' and probes' requests (/metrics, the dashboard, the operator API, health probes) are not the
            // visitors an incident's impact is about.
            if (!context.GetEndpoint().IsForOperators())
            {
                // A request the client gave up on is not a failure of the service (as in aspnetcore's rate limiter).
                var bad = failed || (context.Response.StatusCode >= 500 && !context.RequestAborted.IsCancellationRequested);
                tracker.Record(ClientKey(context), bad);
            }
        }
    }

    /// <summary>The first X-Forwarded-For address when the peer is a local proxy, else the peer's address.</summary>
    internal static string ClientKey(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }

        // Indexed rather than FirstOrDefault(), which boxes the StringValues on every request from a local proxy.
        if (remote is not null && IPAddress.IsLoopback(remote)
            && context.Request.Headers["X-Forwarded-For"] is { Count: > 0 } values && values[0] is { Length: > 0 } forwarded)
        {
            var comma = forwarded.IndexOf(',', StringComparison.Ordinal);
            var first = (comma < 0 ? forwarded : forwarded[..comma]).Trim();
            if (first.Length > 0)
            {
                return first.Length > MaxKeyLength ? first[..MaxKeyLength] : first;
            }
        }

        return remote?.ToString() ?? "unknown";
    }
}
