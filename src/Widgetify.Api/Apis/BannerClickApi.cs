using Widgetify.Api.Apis.KindConfigs;
using Widgetify.Api.Embed.Caching;
using Widgetify.Api.Embed.Clicks;
using Widgetify.Api.Embed.Kinds;
using Widgetify.Core.Database;
using Widgetify.Core.Deadlines;

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

    /// <summary>How long the click's write may take before the visitor is redirected without it: a healthy database takes
    /// milliseconds, and a visitor should not wait out the request's whole deadline for a count.</summary>
    internal static readonly TimeSpan ClickWriteBudget = TimeSpan.FromSeconds(1);

    /// <summary><see cref="ClickWriteBudget"/>, but never more than half of what the request's deadline leaves once the
    /// write's own grace (<see cref="DetachedCancellation.Grace"/>) is set aside: the redirect must go out before the
    /// deadline answers 503.</summary>
    private static TimeSpan ClickBudget(RequestDeadline? deadline)
    {
        if (deadline is null)
        {
            return ClickWriteBudget;
        }

        var spare = deadline.Remaining - DetachedCancellation.Grace;
        return spare <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(ClickWriteBudget.Ticks, spare.Ticks / 2));
    }

    private static async Task<IResult> ClickAsync(
        string id, HttpContext context, EmbedCache cache, BannerClicks clicks, ClickCeiling ceiling, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!WidgetsApi.TryParseId(id, out var widgetId, out var invalid))
        {
            return invalid;
        }

        // The banner as its embed was served, from memory when this instance holds it: the visitor just saw that embed,
        // so its link is nearly always known here without the database, which may be the very thing that is down.
        var deadline = RequestDeadline.Of(context);
        var widget = (await cache.GetAsync(widgetId, null, deadline, cancellationToken))?.Widget;
        if (widget is null || widget.Kind != "banner")
        {
            return Errors.Problems.NotFound($"No banner {widgetId}. It may have been deleted, or it is another kind of widget.");
        }

        if (BannerConfigRules.HttpLink(WidgetConfig.Text(widget.Config, "link")) is not { } target)
        {
            return Errors.Problems.NotFound($"Banner {widgetId} has no link to follow. Its owner can set 'config.link' to an http(s) URL.");
        }

        using var permit = ceiling.AttemptAcquire(context.Connection.RemoteIpAddress, widget.Id);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(ClickBudget(deadline));
        try
        {
            if (permit.IsAcquired)
            {
                await clicks.AddAsync(widget.Id, budget.Token);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The visitor asked to go to the owner's site, and the link is known: they get there; the click is not counted.
            DatabaseUnavailable.Is(ex, out var why);
            LogClickLost(loggers.CreateLogger(typeof(BannerClickApi)), widget.Id, ex is OperationCanceledException
                ? "the database did not take it within the click's budget"
                : why ?? ex.Message);
        }

        // Every click must reach the service to be counted: never from a cache.
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Redirect(LocationOf(target));
    }

    /// <summary>The link as a <c>Location</c> header can carry it: ASCII only. <see cref="Uri.AbsoluteUri"/> percent-encodes the
    /// path and query but keeps an internationalised host (<c>bücher.example</c>) as written, which Kestrel refuses to send,
    /// so the host goes in its punycode form (<see cref="Uri.IdnHost"/>), which every browser resolves alike.</summary>
    internal static string LocationOf(Uri target) =>
        target.IdnHost == target.Host ? target.AbsoluteUri : new UriBuilder(target) { Host = target.IdnHost }.Uri.AbsoluteUri;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A click on banner {WidgetId} was not counted, the visitor was redirected anyway: {Reason}")]
    private static partial void LogClickLost(ILogger logger, Guid widgetId, string reason);
}
