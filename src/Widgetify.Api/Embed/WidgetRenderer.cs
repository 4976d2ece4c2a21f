using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Widgetify.Api.Data;

namespace Widgetify.Api.Embed;

/// <summary>Renders a widget as a small self-contained HTML document for an iframe. Everything a tenant
/// wrote is HTML-encoded, and links must be http(s): a widget can never run script on a visitor's page.</summary>
internal static class WidgetRenderer
{
    private const string Style =
        "body{margin:0;font:14px system-ui,sans-serif}.widgetify{padding:8px;border:1px solid #ccd;border-radius:6px}" +
        ".widgetify h3{margin:0 0 4px;font-size:15px}.count{font-size:24px;font-weight:600}";

    public static string RenderHtml(Widget widget)
    {
        var html = HtmlEncoder.Default;
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<div class=\"widgetify widget-{widget.Kind}\" data-widget-id=\"{widget.Id}\">");
        body.Append(CultureInfo.InvariantCulture, $"<h3>{html.Encode(widget.Name)}</h3>");
        var config = widget.Config;
        switch (widget.Kind)
        {
            case "counter":
                body.Append(CultureInfo.InvariantCulture, $"<span class=\"count\">{widget.ViewCount:N0}</span> ");
                body.Append(html.Encode(Text(config, "label") ?? "views"));
                break;
            case "poll":
                body.Append(CultureInfo.InvariantCulture, $"<p>{html.Encode(Text(config, "question") ?? "")}</p><ul>");
                if (config.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Array)
                {
                    foreach (var option in options.EnumerateArray().Where(o => o.ValueKind == JsonValueKind.String).Take(20))
                    {
                        body.Append(CultureInfo.InvariantCulture, $"<li>{html.Encode(option.GetString()!)}</li>");
                    }
                }

                body.Append("</ul>");
                break;
            case "banner":
                var text = html.Encode(Text(config, "text") ?? widget.Name);
                body.Append(SafeLink(Text(config, "link")) is { } link
                    ? $"<p><a href=\"{html.Encode(link)}\" target=\"_blank\" rel=\"noopener\">{text}</a></p>"
                    : $"<p>{text}</p>");
                break;
            case "clock":
                body.Append(CultureInfo.InvariantCulture, $"<time data-time-zone=\"{html.Encode(Text(config, "timeZone") ?? "UTC")}\"></time>");
                break;
            case "weather":
                body.Append(CultureInfo.InvariantCulture, $"<p class=\"location\">{html.Encode(Text(config, "location") ?? "")}</p>");
                break;
        }

        body.Append("</div>");
        return $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.Encode(widget.Name)}</title>" +
               $"<style>{Style}</style></head><body>{body}</body></html>";
    }

    /// <summary>The public JSON view: no tenant, no timestamps.</summary>
    public static object RenderJson(Widget widget) => new
    {
        id = widget.Id,
        name = widget.Name,
        kind = widget.Kind,
        config = widget.Config,
        viewCount = widget.ViewCount,
    };

    private static string? Text(JsonElement config, string property) =>
        config.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? SafeLink(string? link) =>
        Uri.TryCreate(link, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.AbsoluteUri
            : null;
}
