using Microsoft.AspNetCore.Http;
using Widgetify.Core.Traffic;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Refuses, before routing, a request that admission would certainly refuse after it: see
/// <see cref="PreRoutingShedExtensions.UseShedBeforeRouting"/>. Synchronous: a request that is let through pays one
/// volatile read and a method comparison; one that is refused pays a path check, an interlocked increment, the shed
/// metric and a pre-built response, and no routing, authentication, body reading, logging or task.</summary>
internal sealed class PreRoutingShedMiddleware
{
    private readonly RequestDelegate _next;
    private readonly AdmissionController _controller;
    private readonly PreparedSheds _responses;
    private readonly PathString[] _governed;
    private readonly Action<HttpContext>? _onShed;

    public PreRoutingShedMiddleware(RequestDelegate next, AdmissionController controller, PreparedSheds responses, PreRoutingShedOptions options)
    {
        _next = next;
        _controller = controller;
        _responses = responses;
        _governed = [.. options.GovernedPaths.Select(p => new PathString(p))];
        _onShed = options.OnShed;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;

        // The method gives the highest priority the request can have after routing on a governed path, whose endpoints
        // carry no admission marker: GET and HEAD are reads, everything else a write. Judging by it refuses only what
        // admission would refuse too, so the pre-routing check never changes which request wins: a write is refused
        // here only while writes themselves are refused, never because reads are.
        var priority = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) ? RequestPriority.Read : RequestPriority.Write;

        // The snapshot first: in normal times it says "no" and the request goes on having paid almost nothing.
        if (!_controller.WouldRefuse(priority, out var reason) || !IsGoverned(request.Path))
        {
            return _next(context);
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            // The client already left: nobody reads an answer, and a client that gives up is not shed (as after routing,
            // where such a request ends as 499 and counts as neither shed nor hurt). OnShed still hears of it, with the
            // token fired, so the impact tracker records the client as not hurt, as its middleware would have.
            context.Response.StatusCode = ClientClosedExtensions.StatusCode;
            _onShed?.Invoke(context);
            return Task.CompletedTask;
        }

        var sequence = _controller.CountShedBeforeRouting(priority, reason);
        _onShed?.Invoke(context);
        _responses.Write(context.Response, priority, reason, sequence);
        return Task.CompletedTask;
    }

    private bool IsGoverned(PathString path)
    {
        foreach (var governed in _governed)
        {
            if (path.StartsWithSegments(governed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
