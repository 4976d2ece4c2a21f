namespace Widgetify.Api.Errors;

/// <summary>The <c>type</c> of a problem by its status: the RFC section that defines the status, as ASP.NET Core gives
/// the common ones. A problem without a type means about:blank, whose title must then be the status's own phrase, and
/// Widgetify's titles say more than that; so every problem gets one, including the statuses the framework leaves out
/// (413, 428, 429) and the problems written without the framework's writer (a client that does not accept JSON).</summary>
internal static class ProblemTypes
{
    private static readonly Dictionary<int, string> Sections = new()
    {
        [StatusCodes.Status400BadRequest] = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        [StatusCodes.Status401Unauthorized] = "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        [StatusCodes.Status403Forbidden] = "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        [StatusCodes.Status404NotFound] = "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        [StatusCodes.Status405MethodNotAllowed] = "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        [StatusCodes.Status406NotAcceptable] = "https://tools.ietf.org/html/rfc9110#section-15.5.7",
        [StatusCodes.Status408RequestTimeout] = "https://tools.ietf.org/html/rfc9110#section-15.5.9",
        [StatusCodes.Status409Conflict] = "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        [StatusCodes.Status412PreconditionFailed] = "https://tools.ietf.org/html/rfc9110#section-15.5.13",
        [StatusCodes.Status413PayloadTooLarge] = "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        [StatusCodes.Status415UnsupportedMediaType] = "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        [StatusCodes.Status422UnprocessableEntity] = "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        [StatusCodes.Status428PreconditionRequired] = "https://tools.ietf.org/html/rfc6585#section-3",
        [StatusCodes.Status429TooManyRequests] = "https://tools.ietf.org/html/rfc6585#section-4",
        [StatusCodes.Status500InternalServerError] = "https://tools.ietf.org/html/rfc9110#section-15.6.1",
        [StatusCodes.Status502BadGateway] = "https://tools.ietf.org/html/rfc9110#section-15.6.3",
        [StatusCodes.Status503ServiceUnavailable] = "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        [StatusCodes.Status504GatewayTimeout] = "https://tools.ietf.org/html/rfc9110#section-15.6.5",
    };

    /// <summary>The type for <paramref name="status"/>, or null for a status no RFC section above defines.</summary>
    public static string? For(int? status) => status is { } s && Sections.TryGetValue(s, out var type) ? type : null;
}
