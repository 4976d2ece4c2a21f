using System.Security.Cryptography;
using System.Text;

namespace Widgetify.Api.Embed;

/// <summary>A script an embed page carries inline, allowed by the page's Content-Security-Policy by its SHA-256 hash:
/// the page never needs <c>'unsafe-inline'</c>, so nothing a tenant writes into a widget can run as script even if it
/// got past the encoder. The source must be a constant: a script that varies per widget would need a hash per page.</summary>
internal sealed class InlineScript
{
    /// <param name="source">The JavaScript.</param>
    /// <param name="fetchesOwnOrigin">Whether it calls back to the embed's own origin (fetch), which the page's CSP then
    /// allows with <c>connect-src 'self'</c>; nothing else may be fetched.</param>
    public InlineScript(string source, bool fetchesOwnOrigin = false)
    {
        Source = source;
        FetchesOwnOrigin = fetchesOwnOrigin;
        HashSource = $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(source)))}'";
    }

    /// <summary>The JavaScript, exactly as it appears between the tags (the hash covers these bytes).</summary>
    public string Source { get; }

    /// <summary>The CSP source expression that allows it, e.g. <c>'sha256-…'</c>.</summary>
    public string HashSource { get; }

    /// <summary>Whether the page must allow <c>connect-src 'self'</c> for it.</summary>
    public bool FetchesOwnOrigin { get; }

    /// <summary>The element to put in the page.</summary>
    public string Element => $"<script>{Source}</script>";
}
