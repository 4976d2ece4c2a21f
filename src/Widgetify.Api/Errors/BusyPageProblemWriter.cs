using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Errors;

/// <summary>A 503 written through the problem details service (the database unavailable, a deadline ended) for a browser
/// loading a page to show, a visitor's iframe above all, is <see cref="BusyPage"/>, as a shed is: the site's page shows
/// one sentence where the widget was, not a problem document as raw text. Registered before the JSON writer, which
/// writes everything else.</summary>
internal sealed class BusyPageProblemWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) =>
        (context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode) == StatusCodes.Status503ServiceUnavailable
        && BusyPage.IsDocumentRequest(context.HttpContext.Request);

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.CacheControl = "no-store";
        BusyPage.SetContentHeaders(response);
        return response.Body.WriteAsync(BusyPage.Body, CancellationToken.None); // not RequestAborted: after a deadline it is the deadline's token, already fired
    }
}
