using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Widgetify.Api.Data;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>A counter: the widget's view count and its label.</summary>
internal static class CounterView
{
    /// <summary>Appends the widget's body; an inline script it needs goes into <paramref name="scripts"/>.</summary>
    public static void AppendBody(StringBuilder body, Widget widget, ICollection<InlineScript> scripts)
    {
        body.Append(CultureInfo.InvariantCulture, $"<span class=\"count\">{widget.ViewCount:N0}</span> ");
        body.Append(HtmlEncoder.Default.Encode(WidgetConfig.Text(widget.Config, "label") ?? "views"));
    }
}
