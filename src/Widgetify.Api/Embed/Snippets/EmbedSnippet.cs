using System.Text.Encodings.Web;
using Widgetify.Api.Data;

namespace Widgetify.Api.Embed.Snippets;

/// <summary>What a site owner pastes into a page to show a widget: an iframe (with a small listener that sizes it from
/// the embed's height messages), or the one-line script tag that makes the same iframe through <c>/embed.js</c>.</summary>
/// <param name="Iframe">The iframe and its height listener.</param>
/// <param name="Script">The script tag alternative.</param>
internal sealed record EmbedSnippet(string Iframe, string Script)
{
    /// <summary>Until the first height message arrives (or when scripts are off), the frame is this tall.</summary>
    private const string FrameStyle = "width:100%;max-width:480px;border:0;height:120px";

    /// <param name="widget">The widget.</param>
    /// <param name="baseUrl">The service's public origin (and path base), without a trailing slash, e.g. https://widgets.example.com.</param>
    public static EmbedSnippet For(Widget widget, string baseUrl)
    {
        var html = HtmlEncoder.Default;
        var js = JavaScriptEncoder.Default;
        var origin = new Uri(baseUrl).GetLeftPart(UriPartial.Authority);
        var id = widget.Id.ToString("D");
        var title = html.Encode(widget.Name);
        var sandbox = EmbedSandbox.For(widget.Kind);
        var src = html.Encode($"{baseUrl}/w/{id}");

        // The listener accepts a height only from this very frame (event.source is its window; nothing else can be) and for
        // this widget. The origin is the embed's own, or "null" for the kinds whose sandbox leaves the frame an opaque origin.
        var iframe =
            $"<iframe src=\"{src}\" title=\"{title}\" loading=\"lazy\" sandbox=\"{sandbox}\" data-widgetify-id=\"{id}\" style=\"{FrameStyle}\"></iframe>" +
            "<script>window.addEventListener('message',function(e){var d=e.data&&e.data.widgetify;" +
            $"if(!d||d.id!=='{id}'||(e.origin!=='{js.Encode(origin)}'&&e.origin!=='null'))return;" +
            $"document.querySelectorAll('iframe[data-widgetify-id=\"{id}\"]').forEach(function(f){{" +
            "var h=Number(d.height);if(e.source===f.contentWindow&&h>0&&h<10000)f.style.height=Math.ceil(h)+'px';});});</script>";
        var script =
            $"<script src=\"{html.Encode(baseUrl + "/embed.js")}\" data-widget=\"{id}\" data-title=\"{title}\" data-sandbox=\"{sandbox}\" async></script>";
        return new EmbedSnippet(iframe, script);
    }

    /// <summary>The script behind the script-tag snippet, served at <c>/embed.js</c>: it puts the iframe right after its own
    /// tag and sizes it from the embed's height messages, checked as the iframe snippet's listener checks them.</summary>
    public const string EmbedJs =
        "(function(){'use strict';var s=document.currentScript;if(!s)return;" +
        "var id=s.getAttribute('data-widget')||'';if(!/^[0-9a-fA-F-]{36}$/.test(id))return;" +
        "var origin=new URL(s.src,document.baseURI).origin,path=new URL(s.src,document.baseURI).pathname.replace(/\\/embed\\.js$/,'');" +
        "var f=document.createElement('iframe');f.src=origin+path+'/w/'+id;" +
        "f.title=s.getAttribute('data-title')||'Widgetify widget';f.setAttribute('loading','lazy');" +
        "f.setAttribute('sandbox',s.getAttribute('data-sandbox')||'allow-scripts');f.setAttribute('data-widgetify-id',id);" +
        "f.style.cssText='" + FrameStyle + "';s.parentNode.insertBefore(f,s.nextSibling);" +
        "window.addEventListener('message',function(e){var d=e.data&&e.data.widgetify;" +
        "if(!d||e.source!==f.contentWindow||d.id!==id||(e.origin!==origin&&e.origin!=='null'))return;" +
        "var h=Number(d.height);if(h>0&&h<10000)f.style.height=Math.ceil(h)+'px';});})();\n";
}
