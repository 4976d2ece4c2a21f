using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Widgetify.Incidents.Impact;

/// <summary>Registers the middleware that tells <see cref="ClientImpactTracker"/> about every request.</summary>
public static class ClientImpactExtensions
{
    /// <summary>Records every request's client and whether it failed or was shed. Register it first in the pipeline,
    /// so that sheds (503 from admission control) and failures of later middleware are seen. Needs a
    /// <see cref="ClientImpactTracker"/> in the services.</summary>
    /// <param name="app">The application.</param>
    /// <returns><paramref name="app"/>.</returns>
    public static IApplicationBuilder UseClientImpactTracking(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var tracker = app.ApplicationServices.GetRequiredService<ClientImpactTracker>();
        return app.UseMiddleware<ClientImpactMiddleware>(tracker);
    }

    /// <summary>Records a request answered before this tracking middleware saw it (a shed before routing) as the
    /// middleware would have: its client, hurt (a 503), unless the client had already gone away
    /// (<see cref="HttpContext.RequestAborted"/> fired), which is not a failure of ours. For a caller that answers ahead of
    /// the pipeline.</summary>
    /// <param name="tracker">The tracker.</param>
    /// <param name="context">The request that was shed.</param>
    public static void RecordShed(this ClientImpactTracker tracker, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentNullException.ThrowIfNull(context);
        tracker.Record(ClientImpactMiddleware.ClientKey(context), bad: !context.RequestAborted.IsCancellationRequested);
    }
}
