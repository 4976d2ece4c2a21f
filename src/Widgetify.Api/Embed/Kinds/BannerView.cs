using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Widgetify.Api.Data;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>A banner: its text, linked when it has an http(s) link. The href is the click endpoint
/// (<c>/w/{id}/click</c>, relative to the embed's own <c>/w/{id}</c> so that a service under a path prefix, see
/// <c>Embed:PublicBaseUrl</c>, keeps it), which counts the click and redirects to the link: the link itself never has to be in the
/// page, and what the visitor reaches is what the owner stored.</summary>
internal static class BannerView
{
    /// <summary>Appends the widget's body; an inline script it needs goes into <paramref name="scripts"/>.</summary>
    public static void AppendBody(StringBuilder body, Widget widget, ICollection<InlineScript> scripts)
    {
        var html = HtmlEncoder.Default;
        var text = html.Encode(WidgetConfig.Text(widget.Config, "text") ?? widget.Name);
        body.Append(WidgetConfig.SafeLink(WidgetConfig.Text(widget.Config, "link")) is not null
            ? string.Create(CultureInfo.InvariantCulture, $"<p><a href=\"{widget.Id}/click\" target=\"_blank\" rel=\"noopener\">{text}</a></p>")
            : $"<p>{text}</p>");
    }
}
