using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Widgetify.Api.Consistency;
using Widgetify.Api.Data;
using Widgetify.Api.Embed;

namespace Widgetify.Api.Apis;

/// <summary>The public embed, <c>GET /w/{id}</c>: what every visitor of every site fetches. No key, cacheable,
/// and each fetch counts a view (buffered, see <see cref="ViewCounter"/>).</summary>
internal static class EmbedApi
{
    public static IEndpointConventionBuilder MapEmbedApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/w/{id}", RenderAsync)
            .WithTags("Embed")
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ReadsConsistencyToken()
            .WithSummary("A widget's public rendering: HTML for an iframe, or JSON with Accept: application/json.");

    private static async Task<IResult> RenderAsync(
        string id, HttpContext context, WidgetStore store, ViewCounter views, IOptions<WidgetifyOptions> options,
        CancellationToken cancellationToken)
    {
        if (!WidgetsApi.TryParseId(id, out var widgetId, out var invalid))
        {
            return invalid;
        }

        var widget = await store.GetPublicAsync(widgetId, cancellationToken);
        if (widget is null)
        {
            return Errors.Problems.NotFound($"No widget {widgetId}. It may have been deleted.");
        }

        views.Add(widget.Id);

        var headers = context.Response.Headers;
        // Weak: the rendering shows the view count, which moves between edits without changing what the widget is.
        var etag = string.Create(CultureInfo.InvariantCulture, $"W/\"{widget.Version}-{widget.ViewCount}\"");
        headers.ETag = etag;
        headers.CacheControl = string.Create(CultureInfo.InvariantCulture, $"public, max-age={options.Value.Embed.CacheMaxAgeSeconds}");
        headers.Vary = "Accept";
        headers.XContentTypeOptions = "nosniff";
        if (ETags.NoneMatchHits(context.Request.Headers.IfNoneMatch, etag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if (WantsJson(context.Request))
        {
            return TypedResults.Json(WidgetRenderer.RenderJson(widget));
        }

        var page = WidgetRenderer.RenderHtml(widget);
        headers.ContentSecurityPolicy = page.ContentSecurityPolicy;
        return TypedResults.Content(page.Html, "text/html; charset=utf-8");
    }

    /// <summary>JSON when the client ranks application/json above text/html (browsers rank HTML first).</summary>
    internal static bool WantsJson(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return false;
        }

        double Quality(string mediaType) => accepted
            .Where(a => a.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase))
            .Select(a => a.Quality ?? 1)
            .DefaultIfEmpty(0)
            .Max();

        return Quality("application/json") > Quality("text/html");
    }
}
