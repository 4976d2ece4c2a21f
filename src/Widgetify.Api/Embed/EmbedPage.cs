using System.Text;

namespace Widgetify.Api.Embed;

/// <summary>An embed's HTML document and the inline scripts in it, from which its Content-Security-Policy is built.</summary>
internal sealed record EmbedPage(string Html, IReadOnlyList<InlineScript> Scripts)
{
    /// <summary>Nothing loads from anywhere (<c>default-src 'none'</c>); inline styles only; scripts only those of this
    /// page, by hash, calling back only to this origin and only when one of them needs to; forms post only back to this origin; any site may frame it (that is what an embed is for).</summary>
    public string ContentSecurityPolicy
    {
        get
        {
            var policy = new StringBuilder("default-src 'none'; style-src 'unsafe-inline'; ");
            if (Scripts.Count > 0)
            {
                policy.Append("script-src ").AppendJoin(' ', Scripts.Select(s => s.HashSource).Distinct()).Append("; ");
            }

            if (Scripts.Any(s => s.FetchesOwnOrigin))
            {
                policy.Append("connect-src 'self'; ");
            }

            return policy.Append("form-action 'self'; base-uri 'none'; frame-ancestors *").ToString();
        }
    }
}
