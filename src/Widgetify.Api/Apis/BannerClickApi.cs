using Widgetify.Api.Apis.KindConfigs;
using Widgetify.Api.Data;
using Widgetify.Api.Embed.Clicks;
using Widgetify.Api.Embed.Kinds;
using Widgetify.Core.Database;

namespace Widgetify.Api.Apis;

/// <summary><c>GET /w/{id}/click</c>: a banner's link goes through here, to count the click, then redirects (302) to
/// the banner's own http(s) link. The target is only ever the stored link, validated when it was written: there is no
/// parameter that names a target, so this can never be an open redirect. Past <see cref="EmbedOptions.ClicksPerMinutePerIp"/>
/// from one address the visitor still gets there, uncounted.</summary>
internal static partial class BannerClickApi
{
    public static IEndpointConventionBuilder MapBannerClickApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/w/{id}/click", ClickAsync)
            .WithTags("Embed")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Counts a click on a banner and redirects (302) to the banner's configured http(s) link.");

    private static async Task<IResult> ClickAsync(
        string id, HttpContext context, WidgetStore store, BannerClicks clicks, ClickCeiling ceiling, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!WidgetsApi.TryParseId(id, out var widgetId, out var invalid))
        {
            return invalid;
        }

        var widget = await store.GetPublicAsync(widgetId, cancellationToken);
        if (widget is null || widget.Kind != "banner")
        {
            return Errors.Problems.NotFound($"No banner {widgetId}. It may have been deleted, or it is another kind of widget.");
        }

        if (BannerConfigRules.HttpLink(WidgetConfig.Text(widget.Config, "link")) is not { } target)
        {
            return Errors.Problems.NotFound($"Banner {widgetId} has no link to follow. Its owner can set 'config.link' to an http(s) URL.");
        }

        using var permit = ceiling.AttemptAcquire(context.Connection.RemoteIpAddress, widget.Id);
        try
        {
            if (permit.IsAcquired)
            {
                await clicks.AddAsync(widget.Id, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // The visitor asked to go to the owner's site, and the link is known: they get there; the click is not counted.
            DatabaseUnavailable.Is(ex, out var why);
            LogClickLost(loggers.CreateLogger(typeof(BannerClickApi)), widget.Id, why ?? ex.Message);
        }

        // Every click must reach the service to be counted: never from a cache.
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Redirect(target.AbsoluteUri);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A click on banner {WidgetId} was not counted, the visitor was redirected anyway: {Reason}")]
    private static partial void LogClickLost(ILogger logger, Guid widgetId, string reason);
}
