using Microsoft.AspNetCore.Http;
using Widgetify.Core.Traffic;
using Widgetify.Overload.CpuOverload;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Refuses, before routing, a request that admission would certainly refuse after it, and a share of requests
/// while the processors are saturated (<see cref="ThreadPoolLagProbe"/>): see
/// <see cref="PreRoutingShedExtensions.UseShedBeforeRouting"/>. Synchronous: a request that is let through pays one
/// volatile read (two with the CPU shed) and a method comparison; one that is refused pays a path check, an interlocked increment, the shed
/// metric and a pre-built response, and no routing, authentication, body reading, logging or task.</summary>
internal sealed class PreRoutingShedMiddleware
{
    private readonly RequestDelegate _next;
    private readonly AdmissionController _controller;
    private readonly PreparedSheds _responses;
    private readonly string?[][] _governed; // per template, its segments; null for a parameter (any one segment)
    private readonly Action<HttpContext>? _onShed;
    private readonly Func<HttpContext, bool>? _servedWithoutDatabase;
    private readonly bool _certain; // ShedBeforeRouting: refuse what admission would certainly refuse
    private readonly ThreadPoolLagProbe? _cpu; // CpuShed: refuse a share while the processors are saturated

    public PreRoutingShedMiddleware(RequestDelegate next, AdmissionController controller, PreparedSheds responses, PreRoutingShedOptions options,
        PreRoutingShedMode mode)
    {
        _next = next;
        _controller = controller;
        _responses = responses;
        _governed = [.. options.GovernedPaths.Select(PreRoutingShedOptions.Segments)];
        _onShed = options.OnShed;
        _servedWithoutDatabase = options.ServedWithoutDatabase;
        _certain = mode.Certain;
        _cpu = mode.Cpu;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;

        // The method gives the highest priority the request can have after routing on a governed path, whose endpoints
        // carry no admission marker: GET and HEAD are reads, everything else a write. Judging by it refuses only what
        // admission would refuse too, so the pre-routing check never changes which request wins: a write is refused
        // here only while writes themselves are refused, never because reads are.
        var priority = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) ? RequestPriority.Read : RequestPriority.Write;

        // The snapshot first: in normal times it says "no" and the request goes on having paid almost nothing. Then the
        // processors: while they are saturated a share of requests is refused at random, whatever admission would say
        // (normal times: one more volatile read).
        var reason = RejectionReason.None;
        var refuse = (_certain && _controller.WouldRefuse(priority, out reason)) || ShedForCpu(priority, ref reason);
        if (!refuse || !IsGoverned(request.Path)
            || (reason != RejectionReason.CpuOverload && _servedWithoutDatabase is not null && _servedWithoutDatabase(context)))
        {
            return _next(context); // not refused; or a full queue that admission would not make this request wait in
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
        _responses.Write(context.Response, priority, reason, sequence, BusyPage.IsDocumentRequest(request));
        return Task.CompletedTask;
    }

    private bool ShedForCpu(RequestPriority priority, ref RejectionReason reason)
    {
        if (_cpu is null)
        {
            return false;
        }

        var fraction = _cpu.ShedFraction(priority);
        if (fraction <= 0 || Random.Shared.NextDouble() >= fraction)
        {
            return false;
        }

        reason = RejectionReason.CpuOverload;
        return true;
    }

    /// <summary>Whether the path is exactly one of the governed templates (one trailing slash ignored, as routing
    /// ignores it): a path no endpoint maps (<c>/w/{id}/typo</c>) reaches routing and its 404, never a 503.</summary>
    private bool IsGoverned(PathString path)
    {
        var value = path.Value.AsSpan();
        if (value.Length > 1 && value[^1] == '/')
        {
            value = value[..^1];
        }

        foreach (var template in _governed)
        {
            if (Matches(value, template))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(ReadOnlySpan<char> path, string?[] template)
    {
        foreach (var segment in template)
        {
            if (path.Length == 0 || path[0] != '/')
            {
                return false;
            }

            path = path[1..];
            var end = path.IndexOf('/');
            var current = end < 0 ? path : path[..end];
            if (segment is null ? current.Length == 0 : !current.Equals(segment, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            path = end < 0 ? [] : path[end..];
        }

        return path.Length == 0;
    }
}

/// <summary>What the pre-routing shed refuses: what admission would certainly refuse (<see cref="Certain"/>), and a share
/// while the processors are saturated (<see cref="Cpu"/>, null for none). One object, because the middleware's activation
/// cannot tell a null argument from a missing one and would take the probe from the container instead.</summary>
internal sealed record PreRoutingShedMode(bool Certain, ThreadPoolLagProbe? Cpu);
