using System.Text;
using System.Text.Encodings.Web;
using Widgetify.Api.Data;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>A banner: its text, linked to its http(s) link when it has one.</summary>
internal static class BannerView
{
    /// <summary>Appends the widget's body; an inline script it needs goes into <paramref name="scripts"/>.</summary>
    public static void AppendBody(StringBuilder body, Widget widget, ICollection<InlineScript> scripts)
    {
        var html = HtmlEncoder.Default;
        var text = html.Encode(WidgetConfig.Text(widget.Config, "text") ?? widget.Name);
        body.Append(WidgetConfig.SafeLink(WidgetConfig.Text(widget.Config, "link")) is { } link
            ? $"<p><a href=\"{html.Encode(link)}\" target=\"_blank\" rel=\"noopener\">{text}</a></p>"
            : $"<p>{text}</p>");
    }
}
