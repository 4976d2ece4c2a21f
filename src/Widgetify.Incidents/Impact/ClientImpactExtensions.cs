using Microsoft.AspNetCore.Builder;
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
}
