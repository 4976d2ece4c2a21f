using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Embed;

/// <summary>What an iframe shows for a widget that cannot be embedded (deleted, never existed, a mangled id): a short
/// sentence in the page's place, with the error status, rather than a problem document the visitor cannot read.</summary>
internal static class UnavailablePage
{
    /// <summary>The busy page's template (<see cref="BusyPage.SentencePage"/>) with its own sentence, and its policy.</summary>
    private static readonly byte[] Page = BusyPage.SentencePage("Widget unavailable", "This widget is unavailable.");

    public static IResult Result(int status) => new PageResult(status);

    private sealed class PageResult(int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            BusyPage.SetContentHeaders(response, Page.Length);
            response.Headers.Vary = "Accept";
            // Briefly cacheable: a storm of embeds of a deleted widget should not all reach us, but a widget id that
            // becomes valid (a restore) should not stay blank for long either.
            response.Headers.CacheControl = "public, max-age=60";
            return response.Body.WriteAsync(Page, httpContext.RequestAborted).AsTask();
        }
    }
}
