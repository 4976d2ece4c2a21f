using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Widgetify.Api.Data;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>A poll: its question and options.</summary>
internal static class PollView
{
    /// <summary>Appends the widget's body; an inline script it needs goes into <paramref name="scripts"/>.</summary>
    public static void AppendBody(StringBuilder body, Widget widget, ICollection<InlineScript> scripts)
    {
        var html = HtmlEncoder.Default;
        body.Append(CultureInfo.InvariantCulture, $"<p>{html.Encode(WidgetConfig.Text(widget.Config, "question") ?? "")}</p><ul>");
        if (widget.Config.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Array)
        {
            foreach (var option in options.EnumerateArray().Where(o => o.ValueKind == JsonValueKind.String).Take(20))
            {
                body.Append(CultureInfo.InvariantCulture, $"<li>{html.Encode(option.GetString()!)}</li>");
            }
        }

        body.Append("</ul>");
    }
}
