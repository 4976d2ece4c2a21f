using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Widgetify.Core.Traffic;

/// <summary>Records a request whose client went away as what it is, <c>499 Client Closed Request</c>, in the one place
/// every request passes last: ASP.NET Core's <c>http.server.request.duration</c> takes the status the response has at the
/// end, and without this an abandoned request ends with whatever the pipeline had set by then (a 500 from the exception
/// handler, a 503 for a wait that was cut short) and is counted as a failure of ours.</summary>
public static class ClientClosedExtensions
{
    /// <summary>The status of a request whose client went away before the response started (nginx's convention,
    /// <see cref="StatusCodes.Status499ClientClosedRequest"/>). Signals, impact and postmortems count it as its own
    /// class, "clients gave up", never as a server failure.</summary>
    public const int StatusCode = StatusCodes.Status499ClientClosedRequest;

    /// <summary>Whether the response's status says the client went away.</summary>
    /// <param name="statusCode">An HTTP status code.</param>
    public static bool IsClientClosed(int statusCode) => statusCode == StatusCode;

    /// <summary>Sets <see cref="StatusCode"/> on every request whose client went away before its response started, and
    /// keeps what the pipeline threw for such a request from becoming a 500. Call it first, before anything that
    /// records or answers, so that everything further in (the exception handler, admission) need not care.</summary>
    public static IApplicationBuilder UseClientClosedStatus(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use(static async (context, next) =>
        {
            // The client's own token: admission swaps in one that also fires at the deadline, which is not the client.
            var clientGone = context.RequestAborted;
            try
            {
                await next(context);
            }
            catch (Exception) when (clientGone.IsCancellationRequested && !context.Response.HasStarted)
            {
                // Nobody reads an answer, and the server did not fail: the status below is the whole story.
            }

            if (clientGone.IsCancellationRequested && !context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCode;
            }
        });
    }
}
