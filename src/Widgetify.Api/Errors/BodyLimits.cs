using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace Widgetify.Api.Errors;

/// <summary>Each endpoint that reads a body declares its documented limit on the request (<see cref="Apply"/>); whichever
/// refuses a larger body (the endpoint's own count, or the server's for a chunked body that runs far over), the 413 says
/// that limit in Widgetify's words (<see cref="Describe"/>), never Kestrel's, which names its backstop.</summary>
internal static class BodyLimits
{
    private const string LimitKey = "widgetify.body.limit";

    /// <summary>Declares this request's documented body limit, before anything reads the body: the server is held to twice
    /// it (its count includes a chunked body's framing), and a 413 from the server names the documented one.</summary>
    public static void Apply(HttpContext context, long limit)
    {
        context.Items[LimitKey] = limit;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = Math.Min(feature.MaxRequestBodySize ?? long.MaxValue, limit * 2);
        }
    }

    /// <summary>Declares the limit as <see cref="Apply"/> does and holds the body to it exactly, for an endpoint that hands
    /// the body to a reader that does not count (the form reader): a chunked body over the limit ends in the same 413 as a
    /// declared one.</summary>
    public static void Enforce(HttpContext context, long limit)
    {
        Apply(context, limit);
        context.Request.Body = new LimitedRequestBody(context.Request.Body, limit);
    }

    /// <summary>The detail of a 413: the documented limit of this request's endpoint and, for the management API, its setting.</summary>
    public static string Describe(HttpContext context)
    {
        var limit = context.Items[LimitKey] as long? ?? context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        var size = limit is { } bytes ? string.Create(CultureInfo.InvariantCulture, $"at most {bytes} bytes") : "smaller";
        return context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
            ? $"The body must be {size} (setting 'Widgetify:Api:MaxRequestBodyBytes'). Send a smaller body."
            : $"The body must be {size}. Send a smaller body.";
    }
}
