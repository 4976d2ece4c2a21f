using Widgetify.Api.Apis;
using Widgetify.Api.Errors;
using Widgetify.Core.Traffic;

namespace Widgetify.Api.Dashboard;

/// <summary>The live operator dashboard: <c>GET /dashboard</c> and its files under <c>/dashboard/assets/</c>. The
/// page is static and public; its data comes from the operator-only monitoring endpoints, which the page calls with
/// the operator key the operator gives it.</summary>
internal static class DashboardApi
{
    /// <summary>Everything the page loads comes from this origin; no inline script or style, so an injected
    /// string (an alert summary, an incident title) can never run.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var assets = DashboardAssets.Load(typeof(DashboardApi).Assembly);

        // Admission is bypassed: these are in-memory bytes, and an overload is exactly when operators open the page.
        app.MapGet("/dashboard", (HttpContext context) => Serve(context, assets.Page))
            .ExcludeFromDescription()
            .ForOperators();
        app.MapGet("/dashboard/assets/{name}", (string name, HttpContext context) =>
                assets.TryGet(name, out var asset)
                    ? Serve(context, asset)
                    : Problems.NotFound($"The dashboard has no file '{name}'. Its files are: {string.Join(", ", assets.Names)}."))
            .ExcludeFromDescription()
            .ForOperators();
        return app;
    }

    private static IResult Serve(HttpContext context, DashboardAsset asset)
    {
        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidate every time: an upgraded instance must not keep serving yesterday's script, and a 304 is cheap.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        // The operator key travels in the URL fragment once; no page of ours should leak where it came from.
        headers["Referrer-Policy"] = "no-referrer";
        return ETags.NoneMatchHits(context.Request.Headers.IfNoneMatch, asset.ETag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Bytes(asset.Content, asset.ContentType);
    }
}
