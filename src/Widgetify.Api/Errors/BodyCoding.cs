using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Widgetify.Api.Errors;

/// <summary>What a body must be sent as before it is read: not compressed, and JSON in UTF-8. A gzip body or a UTF-16 one
/// would otherwise be parsed as it is and refused as malformed JSON (or an unreadable form), which sends the client looking
/// for a syntax error it did not make. Both are refused with 415 instead (RFC 9110, 15.5.16), a coding with
/// <c>Accept-Encoding: identity</c> saying what is accepted.</summary>
internal static class BodyCoding
{
    /// <summary>Longest header value quoted back in a detail.</summary>
    private const int Quoted = 64;

    /// <summary>A 415 when the body has a content coding other than identity; null when it has none.</summary>
    /// <param name="request">The request whose body is about to be read.</param>
    /// <param name="sendAs">How to send it instead, ending the sentence ("send the widget as JSON").</param>
    public static IResult? EncodingRefusal(HttpRequest request, string sendAs)
    {
        var codings = request.Headers.ContentEncoding;
        if (StringValues.IsNullOrEmpty(codings) || codings.SelectMany(v => (v ?? "").Split(',')).All(IsIdentity))
        {
            return null;
        }

        request.HttpContext.Response.Headers.AcceptEncoding = "identity";
        return Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
            $"The body is sent with 'Content-Encoding: {Quote(codings.ToString())}', which this endpoint does not decode: {sendAs}, uncompressed and without a Content-Encoding header.");
    }

    /// <summary>A 415 when a JSON body's Content-Type names a charset other than UTF-8 (JSON between systems is UTF-8, RFC
    /// 8259, 8.1; US-ASCII is a subset of it); null when it names none or UTF-8.</summary>
    public static IResult? CharsetRefusal(HttpRequest request, string sendAs)
    {
        // Read by hand, not with MediaTypeHeaderValue: a value it cannot parse (";;charset=utf-16", a list) still names a
        // charset, and the body is in it.
        var charset = (request.ContentType ?? "").Split(';', ',').Skip(1)
            .Select(parameter => parameter.Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            .Select(pair => pair[1].Trim().Trim('"').Trim())
            .FirstOrDefault(value => !(value.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || value.Equals("utf8", StringComparison.OrdinalIgnoreCase)
                || value.Equals("us-ascii", StringComparison.OrdinalIgnoreCase)));
        if (charset is null)
        {
            return null;
        }

        return Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
            string.Create(CultureInfo.InvariantCulture, $"The body's charset is '{Quote(charset)}': {sendAs} in UTF-8, with 'Content-Type: application/json' (or charset=utf-8)."));
    }

    private static bool IsIdentity(string coding) => coding.Trim() is var c && (c.Length == 0 || c.Equals("identity", StringComparison.OrdinalIgnoreCase));

    private static string Quote(string value) => value.Length <= Quoted ? value : value[..Quoted] + "...";
}
