using System.Text.Json;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>Reads a stored widget config leniently: the config was validated when written, but rows written before a
/// rule existed (or by hand) may not follow it, and rendering must not fail on them.</summary>
internal static class WidgetConfig
{
    public static string? Text(JsonElement config, string property) =>
        config.ValueKind == JsonValueKind.Object && config.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>The link when it is an absolute http(s) URL, else null: nothing else may be a target.</summary>
    public static string? SafeLink(string? link) =>
        Uri.TryCreate(link, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.AbsoluteUri
            : null;
}
