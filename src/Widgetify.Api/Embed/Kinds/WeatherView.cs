using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Widgetify.Api.Data;
using Widgetify.Api.Embed.Weather;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>The weather at a location: its current temperature from the provider, or "Weather unavailable" when the
/// provider is not configured or failed (a 200 either way: a visitor's page never shows an error for the weather).</summary>
internal static class WeatherView
{
    /// <summary>Appends the widget's body; an inline script it needs goes into <paramref name="scripts"/>.</summary>
    public static void AppendBody(StringBuilder body, Widget widget, ICollection<InlineScript> scripts, WeatherReport? report)
    {
        var html = HtmlEncoder.Default;
        body.Append(CultureInfo.InvariantCulture, $"<p class=\"location\">{html.Encode(WidgetConfig.Text(widget.Config, "location") ?? "")}</p>");
        body.Append(report is null
            ? "<p class=\"weather unavailable\">Weather unavailable</p>"
            : string.Create(CultureInfo.InvariantCulture,
                $"<p class=\"weather\"><span class=\"count temperature\">{report.Temperature:0.#} {html.Encode(report.Unit)}</span></p>"));
    }
}
