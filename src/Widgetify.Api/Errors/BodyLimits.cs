using System.Buffers;
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

    /// <summary>Declares the limit (<see cref="Apply"/>) and reads the whole body into memory; null as soon as it runs past
    /// the limit (a chunked body announces no length, so it is counted as it comes, and one far over is refused by the
    /// server first, its 413 in the same words). Read under the caller's token, the request's deadline.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        Apply(request.HttpContext, limit);
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
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
