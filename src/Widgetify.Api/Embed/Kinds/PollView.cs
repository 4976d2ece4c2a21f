using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Widgetify.Api.Data;
using Widgetify.Api.Polls;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>A poll: its question and a plain HTML form to vote (radio buttons, a submit button: no script needed), or,
/// once the visitor voted or the poll closed, the results with counts and percentages (unless the owner hides them
/// until it closes).</summary>
internal static class PollView
{
    /// <summary>Progressive enhancement of the form: with script, the vote is posted with fetch (as a form, so the server
    /// sees the same request) and the results the 303 leads to replace the form in place, without a page load; a refusal
    /// (409 closed, 429 over the ceiling, 503 not recorded) shows its ProblemDetails' detail beside the button, which
    /// may be pressed again. Without script the plain form does the same with a page load.</summary>
    internal static readonly InlineScript EnhanceScript = new(
        "document.querySelectorAll('form[data-vote]').forEach(function(f){f.addEventListener('submit',function(e){" +
        "e.preventDefault();var b=f.querySelector('button');b.disabled=true;" +
        "fetch(f.action,{method:'POST',body:new URLSearchParams(new FormData(f)),credentials:'same-origin'})" +
        ".then(function(r){return r.text().then(function(t){if(!r.ok){var d;try{d=JSON.parse(t).detail}catch(x){}" +
        "throw new Error(d||'The vote was not recorded: try again.')}" +
        "var n=new DOMParser().parseFromString(t,'text/html').querySelector('.widgetify'),o=document.querySelector('.widgetify');" +
        "if(n&&o){o.replaceWith(n)}else{location.reload()}})})" +
        ".catch(function(x){b.disabled=false;var a=f.querySelector('[role=alert]');if(!a){a=document.createElement('p');" +
        "a.setAttribute('role','alert');f.appendChild(a)}a.textContent=x.message})})})",
        fetchesOwnOrigin: true);

    /// <summary>Appends the widget's body; an inline script it needs goes into <paramref name="scripts"/>.
    /// <paramref name="page"/> is the visitor's view of the poll (results, their vote); without it only the form shows.</summary>
    public static void AppendBody(StringBuilder body, Widget widget, ICollection<InlineScript> scripts, PollPage? page = null)
    {
        var html = HtmlEncoder.Default;
        var config = page?.Config ?? PollConfig.Read(widget.Config);
        body.Append(CultureInfo.InvariantCulture, $"<p class=\"question\">{html.Encode(config.Question)}</p>");
        if (page is { ShowsResults: true })
        {
            AppendResults(body, page, html);
        }
        else
        {
            AppendForm(body, widget.Id, config, page?.VisitorToken, html);
            scripts.Add(EnhanceScript);
        }
    }

    private static void AppendForm(StringBuilder body, Guid pollId, PollConfig config, string? visitor, HtmlEncoder html)
    {
        // Relative to the embed's own origin: the form posts back to where the iframe came from (CSP form-action 'self').
        body.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"/w/{pollId}/vote\" data-vote><ul class=\"options\">");
        for (var i = 0; i < config.Options.Count; i++)
        {
            body.Append(CultureInfo.InvariantCulture,
                $"<li><label><input type=\"radio\" name=\"option\" value=\"{i}\" required> {html.Encode(config.Options[i])}</label></li>");
        }

        body.Append("</ul>");
        if (visitor is not null)
        {
            // For browsers that keep no cookie for a third-party frame: a resubmitted form still names the same visitor.
            body.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"{VisitorToken.FormField}\" value=\"{html.Encode(visitor)}\">");
        }

        body.Append("<button type=\"submit\">Vote</button></form>");
    }

    private static void AppendResults(StringBuilder body, PollPage page, HtmlEncoder html)
    {
        var options = page.Config.Options;
        if (page.Tally.VisitorChoice is { } choice && choice < options.Count)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"your-vote\">You voted for <strong>{html.Encode(options[choice])}</strong>.</p>");
        }

        if (page.Closed)
        {
            body.Append("<p class=\"closed\">This poll is closed.</p>");
        }

        if (page.ResultsHidden)
        {
            body.Append("<p class=\"hidden-results\">Results are shown when the poll closes.</p>");
            return;
        }

        var total = page.TotalVotes;
        body.Append("<ul class=\"results\">");
        for (var i = 0; i < options.Count; i++)
        {
            var votes = page.Tally.VotesByOption.GetValueOrDefault(i);
            var percent = total == 0 ? 0 : (int)Math.Round(100.0 * votes / total, MidpointRounding.AwayFromZero);
            body.Append(CultureInfo.InvariantCulture,
                $"<li><span class=\"option\">{html.Encode(options[i])}</span> <span class=\"votes\">{votes} {(votes == 1 ? "vote" : "votes")} ({percent}%)</span>" +
                $"<div class=\"bar\" style=\"width:{percent}%\"></div></li>");
        }

        body.Append(CultureInfo.InvariantCulture, $"</ul><p class=\"total\">{total} {(total == 1 ? "vote" : "votes")}</p>");
    }
}
