using Widgetify.Api.Data;
using Widgetify.Api.Embed;

namespace Widgetify.Api.Polls;

/// <summary>The embed of a poll (<c>GET /w/{id}</c> of a poll): unlike other kinds it shows the visitor's own state (their
/// vote, the results once they voted), so it is never <c>Cache-Control: public</c>, and it gives a visitor without a
/// token one.</summary>
internal static class PollEmbed
{
    /// <param name="widget">The poll.</param>
    /// <param name="totals">The poll's totals as the embed cache holds them: a first-time visitor (no token yet, so no
    /// vote) is answered from them without a database read. A returning visitor's page reads their vote from the
    /// primary, with the totals, as it always did: right after voting they must see it.</param>
    /// <param name="context">The request.</param>
    /// <param name="polls">Reads a returning visitor's vote.</param>
    /// <param name="timeProvider">Whether the poll has closed.</param>
    /// <param name="wantsJson">JSON rather than HTML.</param>
    /// <param name="cancellationToken">The request's.</param>
    public static async Task<IResult> RenderAsync(
        Widget widget, PollTally? totals, HttpContext context, PollStore polls, TimeProvider timeProvider, bool wantsJson,
        CancellationToken cancellationToken)
    {
        var request = context.Request;
        var visitor = VisitorToken.FromCookie(request);
        PollPage page;
        if (visitor is null)
        {
            visitor = VisitorToken.New();
            VisitorToken.SetCookie(context, visitor);
            var config = PollConfig.Read(widget.Config);
            page = totals is not null
                ? new PollPage(config, totals, config.IsClosed(timeProvider.GetUtcNow()), visitor)
                : await ReadPageAsync(widget, visitor, polls, timeProvider, cancellationToken);
        }
        else
        {
            page = await ReadPageAsync(widget, visitor, polls, timeProvider, cancellationToken);
        }

        var headers = context.Response.Headers;
        headers.CacheControl = "private, no-store";
        headers.Vary = "Accept, Cookie";
        headers.XContentTypeOptions = "nosniff";
        if (wantsJson)
        {
            return TypedResults.Json(WidgetRenderer.RenderJson(widget, page));
        }

        var html = WidgetRenderer.RenderHtml(widget, new EmbedContext(timeProvider.GetUtcNow()), page);
        headers.ContentSecurityPolicy = html.ContentSecurityPolicy;
        return TypedResults.Content(html.Html, "text/html; charset=utf-8");
    }

    public static async Task<PollPage> ReadPageAsync(
        Widget widget, string visitor, PollStore polls, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var config = PollConfig.Read(widget.Config);
        var tally = await polls.ReadTallyAsync(widget.Id, visitor, cancellationToken);
        return new PollPage(config, tally, config.IsClosed(timeProvider.GetUtcNow()), visitor);
    }
}
