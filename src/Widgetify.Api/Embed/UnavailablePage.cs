namespace Widgetify.Api.Embed;

/// <summary>What an iframe shows for a widget that cannot be embedded (deleted, never existed, a mangled id): a short
/// sentence in the page's place, with the error status, rather than a problem document the visitor cannot read.</summary>
internal static class UnavailablePage
{
    private const string Html =
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Widget unavailable</title>"
        + "<meta name=\"robots\" content=\"noindex\"></head>"
        + "<body style=\"font:14px system-ui,sans-serif;color:#666;margin:8px\"><p>This widget is unavailable.</p></body></html>";

    /// <summary>No script, no style sheet, nothing from elsewhere: the strictest policy fits it.</summary>
    private const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";

    public static IResult Result(int status) => new PageResult(status);

    private sealed class PageResult(int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers.Vary = "Accept";
            // Briefly cacheable: a storm of embeds of a deleted widget should not all reach us, but a widget id that
            // becomes valid (a restore) should not stay blank for long either.
            response.Headers.CacheControl = "public, max-age=60";
            response.ContentType = "text/html; charset=utf-8";
            return response.WriteAsync(Html, httpContext.RequestAborted);
        }
    }
}
