namespace Widgetify.Api.Apis.KindConfigs;

/// <summary>A banner: <c>text</c> (optional, the widget's name when absent) and <c>link</c> (optional, an absolute http or
/// https URL). Anything else as a link (<c>javascript:</c>, <c>data:</c>, a relative path) is refused here, so that the
/// click endpoint, which redirects only to the stored link, can never be made to send a visitor anywhere else.</summary>
internal static class BannerConfigRules
{
    public const int MaxLinkLength = 2048;

    public static void Validate(ConfigFields fields)
    {
        fields.String("text", maxLength: int.MaxValue); // bounded by the config's 16 KiB
        if (fields.String("link", MaxLinkLength, allowEmpty: false) is { } link && HttpLink(link) is null)
        {
            fields.Error("link", "Must be an absolute http or https URL, such as \"https://example.com/sale\".");
        }

        fields.RefuseUnknown("banner");
    }

    /// <summary>The link as an absolute http(s) URI with a host, or null.</summary>
    public static Uri? HttpLink(string? link) =>
        Uri.TryCreate(link, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && uri.Host.Length > 0
            ? uri
            : null;
}
