namespace Widgetify.Api.Embed.Snippets;

/// <summary>The <c>sandbox</c> of the iframe a site owner pastes: only what the widget's kind needs (docs/embedding.md
/// explains each token). Every kind gets <c>allow-scripts</c>, because every embed page runs the auto-height script
/// (<see cref="AutoHeightScript"/>); the scripts are the page's constants, allowed by hash by the embed's own CSP, so this
/// lets no tenant content run.</summary>
internal static class EmbedSandbox
{
    public static string For(string kind) => kind switch
    {
        // The vote form posts to the embed's origin; the visitor cookie (one vote per visitor) needs the frame to keep its
        // origin, without which it is opaque and has no cookies. The poll's enhancement script submits without reloading.
        "poll" => "allow-forms allow-same-origin allow-scripts",
        // The banner's link opens in a new tab (target=_blank); the tab must not inherit the sandbox, or the advertised
        // site would open broken (no scripts, no forms).
        "banner" => "allow-popups allow-popups-to-escape-sandbox allow-scripts",
        // counter, clock (its ticking script), weather: script only, no forms, no popups, opaque origin.
        _ => "allow-scripts",
    };
}
