using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Widgetify.Api.Consistency;
using Widgetify.Api.Data;
using Widgetify.Api.Embed;
using Widgetify.Api.Embed.Weather;

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
        TimeProvider timeProvider, WeatherReports weather, CancellationToken cancellationToken)
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
        headers.Vary = "Accept";
        headers.XContentTypeOptions = "nosniff";
        var json = WantsJson(context.Request);
        if (!json && IsLive(widget))
        {
            // A clock shows the time and a weather widget the latest report: the weak ETag of version and views would
            // answer 304 with a stale time. Every load is rendered afresh (the clock's script ticks it from there).
            headers.CacheControl = "no-cache";
        }
        else
        {
            // Weak: the rendering shows the view count, which moves between edits without changing what the widget is.
            var etag = string.Create(CultureInfo.InvariantCulture, $"W/\"{widget.Version}-{widget.ViewCount}\"");
            headers.ETag = etag;
            headers.CacheControl = string.Create(CultureInfo.InvariantCulture, $"public, max-age={options.Value.Embed.CacheMaxAgeSeconds}");
            if (ETags.NoneMatchHits(context.Request.Headers.IfNoneMatch, etag))
            {
                return TypedResults.StatusCode(StatusCodes.Status304NotModified);
            }
        }

        if (json)
        {
            return TypedResults.Json(WidgetRenderer.RenderJson(widget));
        }

        var report = widget.Kind == "weather" && WeatherQuery.From(widget.Config) is { } query
            ? await weather.GetAsync(query, cancellationToken)
            : null;
        var page = WidgetRenderer.RenderHtml(widget, new EmbedContext(timeProvider.GetUtcNow(), report));
        headers.ContentSecurityPolicy = page.ContentSecurityPolicy;
        return TypedResults.Content(page.Html, "text/html; charset=utf-8");
    }

    /// <summary>Kinds whose HTML changes with time, not only with edits and views (their JSON is the config: it does not).</summary>
    private static bool IsLive(Widget widget) => widget.Kind is "clock" or "weather";

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
