using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json.Serialization;
using Widgetify.Api.Data;
using Widgetify.Api.Embed.Kinds;
using Widgetify.Api.Polls;
using Widgetify.Api.Embed.Snippets;

namespace Widgetify.Api.Embed;

/// <summary>Renders a widget as a small self-contained HTML document for an iframe; each kind's body is its own view
/// (<see cref="Kinds"/>). Everything a tenant wrote is HTML-encoded, links must be http(s), and scripts are the
/// views' constants allowed by hash: a widget can never run script of a tenant's on a visitor's page.</summary>
internal static class WidgetRenderer
{
    private const string Style =
        "body{margin:0;font:14px system-ui,sans-serif}.widgetify{padding:8px;border:1px solid #ccd;border-radius:6px}" +
        ".widgetify h3{margin:0 0 4px;font-size:15px}.count{font-size:24px;font-weight:600}" +
        ".results,.options{list-style:none;padding:0;margin:4px 0}.results .bar{height:4px;background:#58c;margin:2px 0 6px}";

    /// <param name="widget">The widget to render.</param>
    /// <param name="context">The time and provider data the live kinds (clock, weather) show.</param>
    /// <param name="poll">A poll's state for the visitor asking (results, their vote); null for other kinds.</param>
    public static EmbedPage RenderHtml(Widget widget, EmbedContext context, PollPage? poll = null)
    {
        var html = HtmlEncoder.Default;
        var scripts = new List<InlineScript>();
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<div class=\"widgetify widget-{widget.Kind}\" data-widget-id=\"{widget.Id}\">");
        body.Append(CultureInfo.InvariantCulture, $"<h3>{html.Encode(widget.Name)}</h3>");
        switch (widget.Kind)
        {
            case "counter":
                CounterView.AppendBody(body, widget, scripts);
                break;
            case "poll":
                PollView.AppendBody(body, widget, scripts, poll);
                break;
            case "banner":
                BannerView.AppendBody(body, widget, scripts);
                break;
            case "clock":
                ClockView.AppendBody(body, widget, scripts, context.Now);
                break;
            case "weather":
                WeatherView.AppendBody(body, widget, scripts, context.Weather);
                break;
        }

        body.Append("</div>");
        scripts.Add(AutoHeightScript.Script); // every kind: the snippet sizes its iframe from it
        body.AppendJoin("", scripts.Select(s => s.Element));
        return new EmbedPage(
            $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.Encode(widget.Name)}</title>" +
            $"<style>{Style}</style></head><body>{body}</body></html>",
            scripts);
    }

    /// <summary>The public JSON view: no tenant, no timestamps; a poll's adds its results (<see cref="PollResultsJson"/>).</summary>
    public static object RenderJson(Widget widget, PollPage? poll = null)
    {
        if (poll is null)
        {
            return new { id = widget.Id, name = widget.Name, kind = widget.Kind, config = widget.Config, viewCount = widget.ViewCount };
        }

        var results = poll.ToJson();
        return new PollEmbedJson(
            widget.Id, widget.Name, widget.Kind, widget.Config, widget.ViewCount, results.Results, results.TotalVotes, results.Closed,
            results.ResultsHidden, results.YourVote);
    }

    /// <summary>A poll's public JSON view: the widget's fields and its results, with <c>totalVotes</c> absent while the
    /// results are hidden and <c>yourVote</c> absent until the visitor voted, as in the answer to a vote
    /// (<see cref="PollResultsJson"/>).</summary>
    private sealed record PollEmbedJson(
        Guid Id,
        string Name,
        string Kind,
        System.Text.Json.JsonElement Config,
        long ViewCount,
        IReadOnlyList<PollOptionResult> Results,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? TotalVotes,
        bool Closed,
        bool ResultsHidden,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? YourVote);
}
