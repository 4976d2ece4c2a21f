using System.Globalization;
using Widgetify.Core.Deadlines;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Errors;

/// <summary>A request body that did not arrive in time: the client sent its headers and stalled (or trickled the body
/// slower than Kestrel's minimum data rate). That is the client's doing, so it is a 408 that says so, not the 503 "shed to
/// protect the database" a deadline otherwise means, and it is no sample of the database's latency
/// (<see cref="StalledRequestBody"/>).</summary>
internal static class RequestBodyTimeout
{
    /// <summary>The 408's title, here and where Kestrel's own minimum-rate 408 is answered (ExceptionProblemHandler).</summary>
    public const string Title = "Request body timed out";

    /// <summary>What the client should do, in both.</summary>
    public const string WhatToDo = "Send the whole body right after the headers, with a correct Content-Length, and retry.";

    /// <summary>Whether <paramref name="exception"/>, thrown while reading the body, means the body did not come in time:
    /// the request's deadline fired (not the client going away), or Kestrel's minimum data rate gave up on it.</summary>
    public static bool Is(Exception exception, HttpContext context) => exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => true,
        OperationCanceledException => RequestDeadline.Of(context) is { Token.IsCancellationRequested: true },
        _ => false,
    };

    /// <summary>The 408 problem; marks the request so admission control neither samples nor counts it as a shed.</summary>
    public static IResult Problem(HttpContext context)
    {
        context.Features.Set(StalledRequestBody.Instance);
        var budget = RequestDeadline.Of(context)?.Budget;
        var within = budget is { } b ? string.Create(CultureInfo.InvariantCulture, $" within {b.TotalSeconds:0.#} s") : "";
        // The connection is closed after the answer: the rest of a stalled body may still be on its way.
        context.Response.Headers.Connection = "close";
        return Problems.Result(StatusCodes.Status408RequestTimeout, Title, $"The request body did not arrive{within}. {WhatToDo}");
    }
}
