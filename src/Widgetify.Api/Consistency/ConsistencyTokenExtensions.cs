using Widgetify.Api.Errors;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Consistency;

/// <summary>Read-your-writes across standbys: a write's response carries <c>Widgetify-Consistency</c> (the primary's WAL
/// position after its commit); a read that sends it back is served only where that position has been replayed.</summary>
internal static class ConsistencyTokenExtensions
{
    /// <summary>Reads the request's token (400 when it is not one this deployment signed, or names a position the primary
    /// has not reached) and writes the response's, signed (<see cref="ConsistencyTokenSigner"/>).</summary>
    public static IApplicationBuilder UseConsistencyTokens(this IApplicationBuilder app)
    {
        var watermark = app.ApplicationServices.GetRequiredService<PrimaryWalWatermark>();
        var signer = app.ApplicationServices.GetRequiredService<ConsistencyTokenSigner>();
        return app.Use((context, next) => HandleAsync(context, next, watermark, signer));
    }

    private static async Task HandleAsync(HttpContext context, RequestDelegate next, PrimaryWalWatermark watermark, ConsistencyTokenSigner signer)
    {
        ConsistencyToken? requested = null;
        var header = context.Request.Headers[ConsistencyToken.HeaderName];
        if (header.Count > 0)
        {
            if (header.Count > 1 || !signer.TryRead(header[0], out var token))
            {
                await Problems.Write(context, StatusCodes.Status400BadRequest, "Invalid consistency token",
                    $"The {ConsistencyToken.HeaderName} header must be one value exactly as a write's response carried it, " +
                    "for example 0/3000148.q1mO0Zfd9kT3tQ1WgNw0aA. Tokens are signed: one that was altered or made up, or that " +
                    "another deployment gave, is refused. Send it back unchanged, or leave the header out to read without it.");
                return;
            }

            if (await watermark.JudgeAsync(token, context.RequestAborted) == TokenStanding.Beyond)
            {
                await Problems.Write(context, StatusCodes.Status400BadRequest, "Consistency token ahead of the database",
                    $"The {ConsistencyToken.HeaderName} token {token} names a point the database has not reached, so no write " +
                    "made here gave it: it comes from another deployment, was altered, or predates a restore of the database " +
                    "to an earlier point. Leave the header out, or send the token of a newer write.");
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
                context.Response.Headers[ConsistencyToken.HeaderName] = signer.Sign(written);
                watermark.Observe(written.Position);
            }

            return Task.CompletedTask;
        });
        await next(context);
    }
}
