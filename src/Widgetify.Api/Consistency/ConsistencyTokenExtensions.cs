using Widgetify.Api.Errors;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Consistency;

/// <summary>Read-your-writes across standbys: a write's response carries <c>Widgetify-Consistency</c> (the primary's WAL
/// position after its commit); a read that sends it back is served only where that position has been replayed.</summary>
internal static class ConsistencyTokenExtensions
{
    /// <summary>Reads the request's token (400 when it is not one) and writes the response's.</summary>
    public static IApplicationBuilder UseConsistencyTokens(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        ConsistencyToken? requested = null;
        var header = context.Request.Headers[ConsistencyToken.HeaderName];
        if (header.Count > 0)
        {
            if (header.Count > 1 || !ConsistencyToken.TryParse(header[0], out var token))
            {
                await Problems.Write(context, StatusCodes.Status400BadRequest, "Invalid consistency token",
                    $"The {ConsistencyToken.HeaderName} header must be one value exactly as a write's response carried it, " +
                    "for example 0/3000148. Send it back unchanged, or leave the header out to read without it.");
                return;
            }

            requested = token;
        }

        var feature = new ConsistencyFeature(requested);
        context.Features.Set(feature);
        context.Response.OnStarting(() =>
        {
            if (feature.Written is { } written)
            {
                context.Response.Headers[ConsistencyToken.HeaderName] = written.ToString();
            }

            return Task.CompletedTask;
        });
        await next(context);
    });
}
