using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Widgetify.Api.Polls;

/// <summary>Who a poll's visitor is: a random token the embed keeps in a cookie on its own origin, or, where the browser
/// keeps no cookie for a third-party frame, in a hidden field of the vote form. Never the IP address: a school or an
/// office shares one, and it would also make the vote a record of where someone was.</summary>
internal static class VisitorToken
{
    public const string CookieName = "widgetify_visitor";

    public const string FormField = "visitor";

    /// <summary>A year: a visitor who comes back to the poll still counts once.</summary>
    private const int CookieMaxAgeSeconds = 365 * 24 * 3600;

    /// <summary>128 random bits, URL-safe (22 characters).</summary>
    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    /// <summary>What the database accepts as a visitor (16 to 64 URL-safe characters); anything else is ignored and a
    /// fresh token issued.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: >= 16 and <= 64 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The token from the cookie, if the browser sent a well-formed one.</summary>
    public static string? FromCookie(HttpRequest request) =>
        request.Cookies.TryGetValue(CookieName, out var token) && IsWellFormed(token) ? token : null;

    /// <summary>Sets the cookie. Over HTTPS it must be <c>SameSite=None; Secure</c> to be sent at all inside another
    /// site's iframe, and <c>Partitioned</c> (CHIPS) so browsers that block third-party cookies still keep it, per
    /// embedding site. Over plain http (a local <c>widgetify up</c>) <c>Secure</c> would make the browser drop it, and
    /// <c>SameSite=None</c> requires <c>Secure</c>, so it is <c>Lax</c> there. HttpOnly: no script needs it.</summary>
    public static void SetCookie(HttpContext context, string token) =>
        SetCookie(context.Response, token, ServedOverTls(context));

    /// <summary>Whether the visitor reached the embed over TLS: this request's scheme (a TLS-terminating proxy's
    /// <c>X-Forwarded-Proto</c> counts when forwarded headers are on: <c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c>),
    /// or an https <c>Embed:PublicBaseUrl</c>, which says the embed is published over TLS whatever reaches this process.</summary>
    private static bool ServedOverTls(HttpContext context) =>
        context.Request.IsHttps
        || context.RequestServices.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Embed.PublicBaseUrl
            .StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public static void SetCookie(HttpResponse response, string token, bool https) =>
        response.Headers.Append("Set-Cookie", https
            ? $"{CookieName}={token}; Path=/w; Max-Age={CookieMaxAgeSeconds}; HttpOnly; SameSite=None; Secure; Partitioned"
            : $"{CookieName}={token}; Path=/w; Max-Age={CookieMaxAgeSeconds}; HttpOnly; SameSite=Lax");
}
