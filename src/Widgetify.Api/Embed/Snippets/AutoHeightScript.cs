namespace Widgetify.Api.Embed.Snippets;

/// <summary>The script every embed page carries so that the page it is pasted in can size the iframe to fit: it posts
/// <c>{widgetify: {id, height}}</c> to the parent on load and whenever the content's size changes. The target origin is
/// <c>"*"</c> because the embed cannot know who framed it, and the message says nothing secret (the id is in the
/// iframe's src already). The receiving side (<see cref="EmbedSnippet"/>, <c>/embed.js</c>) checks who sent it.</summary>
internal static class AutoHeightScript
{
    /// <summary>Constant, so the embed's CSP allows it by hash; it finds the widget id in the page.</summary>
    public static readonly InlineScript Script = new(
        "(function(){var r=document.querySelector('[data-widget-id]');if(!r||window.parent===window)return;" +
        "var id=r.getAttribute('data-widget-id'),last=-1;" +
        "function post(){var h=Math.ceil(document.documentElement.getBoundingClientRect().height);" +
        "if(h!==last){last=h;window.parent.postMessage({widgetify:{id:id,height:h}},'*');}}" +
        "if(window.ResizeObserver){new ResizeObserver(post).observe(document.documentElement);}" +
        "window.addEventListener('load',post);post();})();");
}
