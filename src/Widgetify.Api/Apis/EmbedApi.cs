using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Widgetify.Api.Consistency;
using Widgetify.Api.Embed;
using Widgetify.Api.Embed.Caching;
using Widgetify.Api.Embed.Weather;
using Widgetify.Api.Polls;
using Widgetify.Core.Deadlines;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Apis;

/// <summary>The public embed, <c>GET /w/{id}</c>: what every visitor of every site fetches. No key, cacheable,
/// and each fetch counts a view (buffered, see <see cref="ViewCounter"/>).</summary>
internal static class EmbedApi
{
    public static IEndpointConventionBuilder MapEmbedApi(this IEndpointRouteBuilder app) =>
        // HEAD too, as wherever GET is: uptime probes and link checkers ask for the headers only (Kestrel sends no body
        // for HEAD). Admission and the embed cache already take HEAD as a read.
        app.MapMethods("/w/{id}", [HttpMethods.Get, HttpMethods.Head], RenderAsync)
            // A widget this instance holds is answered from memory: no database work, so no admission slot to wait for.
            .WithoutAdmissionWhen(app.ServiceProvider.GetRequiredService<EmbedCache>().ServesFromMemory)
            .WithTags("Embed")
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ReadsConsistencyToken()
            .WithSummary("A widget's public rendering: HTML for an iframe, or JSON with Accept: application/json.");

    private static async Task<IResult> RenderAsync(
        string id, HttpContext context, EmbedCache cache, ViewCounter views, PollStore polls, IOptions<WidgetifyOptions> options,
        TimeProvider timeProvider, WeatherReports weather, CancellationToken cancellationToken)
    {
        if (!WidgetsApi.TryParseId(id, out var widgetId, out var invalid))
        {
            return WantsJson(context.Request) ? invalid : UnavailablePage.Result(StatusCodes.Status400BadRequest);
        }

        // From memory when this instance holds the widget (Embed/Caching): a hot widget's embed costs no database read.
        var entry = await cache.GetAsync(
            widgetId, ConsistencyFeature.Of(context)?.Requested, RequestDeadline.Of(context), cancellationToken);
        if (entry is null)
        {
            return Unavailable(context, $"No widget {widgetId}. It may have been deleted.");
        }

        var widget = entry.Widget;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            views.Add(widget.Id); // a probe's HEAD shows the widget to nobody
        }

        if (widget.Kind == PollConfig.Kind)
        {
            // A poll shows the visitor's own vote: private, and no ETag (votes move it, the widget's version does not).
            return await PollEmbed.RenderAsync(widget, entry.Tally, context, polls, timeProvider, WantsJson(context.Request), cancellationToken);
        }

        var headers = context.Response.Headers;
        headers.Vary = "Accept";
        headers.XContentTypeOptions = "nosniff";
        var json = WantsJson(context.Request);
        if (!json && CachedWidget.IsLive(widget))
        {
            // A clock shows the time and a weather widget the latest report: the weak ETag of version and views would
            // answer 304 with a stale time. Every load is rendered afresh (the clock's script ticks it from there), from
            // the cached row.
            headers.CacheControl = "no-cache";
            var report = widget.Kind == "weather" && WeatherQuery.From(widget.Config) is { } query
                ? await weather.GetAsync(query, cancellationToken)
                : null;
            var page = WidgetRenderer.RenderHtml(widget, new EmbedContext(timeProvider.GetUtcNow(), report));
            headers.ContentSecurityPolicy = page.ContentSecurityPolicy;
            return TypedResults.Content(page.Html, "text/html; charset=utf-8");
        }

        // Weak: the rendering shows the view count, which moves between edits without changing what the widget is.
        headers.ETag = entry.ETag;
        headers.CacheControl = string.Create(CultureInfo.InvariantCulture, $"public, max-age={options.Value.Embed.CacheMaxAgeSeconds}");
        if (ETags.NoneMatchHits(context.Request.Headers.IfNoneMatch, entry.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if (json)
        {
            return TypedResults.Bytes(entry.Json!, "application/json; charset=utf-8");
        }

        headers.ContentSecurityPolicy = entry.ContentSecurityPolicy;
        return TypedResults.Bytes(entry.Html!, "text/html; charset=utf-8");
    }

    /// <summary>The 404 of an unknown or deleted widget: the problem for a client asking for JSON, otherwise a small page
    /// the visitor's iframe can show (a JSON document in the middle of someone's site helps nobody).</summary>
    private static IResult Unavailable(HttpContext context, string detail) =>
        WantsJson(context.Request) ? Errors.Problems.NotFound(detail) : UnavailablePage.Result(StatusCodes.Status404NotFound);

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
