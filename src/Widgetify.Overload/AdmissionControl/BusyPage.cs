using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>The 503 a browser gets when it loads a page to show: a visitor's iframe (an embed) or a tab cannot display a
/// problem document (a browser shows <c>application/problem+json</c> as raw text in the site's page, or offers to
/// download it), so a document request (<see cref="IsDocumentRequest"/>) is refused with one short sentence of HTML
/// instead, with the same status, <c>Retry-After</c> and <c>Cache-Control: no-store</c>. API clients, scripts and
/// <c>fetch</c> still get the problem body, which says why and what to do.</summary>
public static class BusyPage
{
    /// <summary>Its content type.</summary>
    public const string ContentType = "text/html; charset=utf-8";

    /// <summary>No script, nothing from elsewhere: the strictest policy that lets its one inline style apply.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";

    private static readonly StringValues ContentTypeValue = new(ContentType);
    private static readonly StringValues PolicyValue = new(ContentSecurityPolicy);
    private static readonly StringValues NoSniff = new("nosniff");

    /// <summary>The page, the same bytes for every refusal: what the visitor needs is that it is passing.</summary>
    public static ReadOnlyMemory<byte> Body { get; } = SentencePage("Busy right now", "Busy right now: this will be back in a moment.");

    /// <summary>A page of one sentence in grey, standalone (no script, nothing from elsewhere, not indexed): what a visitor's
    /// iframe shows in the widget's place when there is no widget to show. The embed's "unavailable" page is one too.</summary>
    /// <param name="title">The page's title, HTML-encoded here.</param>
    /// <param name="sentence">What the page says, HTML-encoded here.</param>
    /// <returns>The page in UTF-8, to be made once and written as is.</returns>
    public static byte[] SentencePage(string title, string sentence) => Encoding.UTF8.GetBytes(
        $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(title)}</title>"
        + "<meta name=\"robots\" content=\"noindex\"></head>"
        + $"<body style=\"font:14px system-ui,sans-serif;color:#666;margin:8px\"><p>{WebUtility.HtmlEncode(sentence)}</p></body></html>");

    /// <summary>True for a browser loading a document to show with GET or HEAD: <c>Sec-Fetch-Dest</c> <c>document</c>,
    /// <c>iframe</c> or <c>frame</c> (every current browser sends it); without that header, an <c>Accept</c> that starts
    /// with <c>text/html</c>, as a browser's navigation does. A script's request (<c>Sec-Fetch-Dest: empty</c>), a client
    /// that asks for JSON or for nothing in particular, and a form posted from the page (a vote without script, whose 503
    /// says whether to send it again, which "back in a moment" would not) are not. A method and two header reads: cheap
    /// enough for the shed before routing.</summary>
    public static bool IsDocumentRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }

        var destination = request.Headers["Sec-Fetch-Dest"];
        if (destination.Count > 0)
        {
            var value = destination[0];
            return string.Equals(value, "iframe", StringComparison.OrdinalIgnoreCase)
                || string.Equals(value, "document", StringComparison.OrdinalIgnoreCase)
                || string.Equals(value, "frame", StringComparison.OrdinalIgnoreCase);
        }

        var accept = request.Headers.Accept;
        return accept.Count > 0 && accept[0] is { } first && first.StartsWith("text/html", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Sets the page's content headers (type, length, policy, nosniff); status, <c>Retry-After</c> and caching are
    /// the caller's, as for the problem body it replaces.</summary>
    public static void SetContentHeaders(HttpResponse response) => SetContentHeaders(response, Body.Length);

    /// <summary>Sets the content headers of a <see cref="SentencePage"/> of <paramref name="length"/> bytes.</summary>
    public static void SetContentHeaders(HttpResponse response, long length)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = response.Headers;
        headers.ContentType = ContentTypeValue;
        headers.ContentLength = length;
        headers.ContentSecurityPolicy = PolicyValue;
        headers.XContentTypeOptions = NoSniff;
    }
}
