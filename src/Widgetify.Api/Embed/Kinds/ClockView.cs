using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Widgetify.Api.Data;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>A clock in its time zone.</summary>
internal static class ClockView
{
    /// <summary>Appends the widget's body; an inline script it needs goes into <paramref name="scripts"/>.</summary>
    public static void AppendBody(StringBuilder body, Widget widget, ICollection<InlineScript> scripts)
    {
        body.Append(CultureInfo.InvariantCulture, $"<time data-time-zone=\"{HtmlEncoder.Default.Encode(WidgetConfig.Text(widget.Config, "timeZone") ?? "UTC")}\"></time>");
    }
}
