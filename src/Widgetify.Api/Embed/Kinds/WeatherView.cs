using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Widgetify.Api.Data;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>The weather at a location.</summary>
internal static class WeatherView
{
    /// <summary>Appends the widget's body; an inline script it needs goes into <paramref name="scripts"/>.</summary>
    public static void AppendBody(StringBuilder body, Widget widget, ICollection<InlineScript> scripts)
    {
        body.Append(CultureInfo.InvariantCulture, $"<p class=\"location\">{HtmlEncoder.Default.Encode(WidgetConfig.Text(widget.Config, "location") ?? "")}</p>");
    }
}
