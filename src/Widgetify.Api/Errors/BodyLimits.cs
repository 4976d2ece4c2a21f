using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace Widgetify.Api.Errors;

/// <summary>Each endpoint that reads a body sets its own documented limit on the request (<see cref="Apply"/>), so the
/// server refuses a larger body, whether it declares its length or arrives chunked, at exactly that size; the 413 then
/// says that limit in Widgetify's words (<see cref="Describe"/>), never Kestrel's, which names its own backstop.</summary>
internal static class BodyLimits
{
    /// <summary>Sets this request's body limit, before anything reads the body.</summary>
    public static void Apply(HttpContext context, long limit)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
    }

    /// <summary>The detail of a 413: the limit in force for this request and, for the management API, its setting.</summary>
    public static string Describe(HttpContext context)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        var size = limit is { } bytes ? string.Create(CultureInfo.InvariantCulture, $"at most {bytes} bytes") : "smaller";
        return context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
            ? $"The body must be {size} (setting 'Widgetify:Api:MaxRequestBodyBytes'). Send a smaller body."
            : $"The body must be {size}. Send a smaller body.";
    }
}
