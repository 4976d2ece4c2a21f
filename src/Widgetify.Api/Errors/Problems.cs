using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Widgetify.Api.Errors;

/// <summary>RFC 9457 problem responses. Every error Widgetify returns goes through here, so every error has
/// the same shape: type, title, status, detail (what happened and what to change), instance, traceId.</summary>
internal static class Problems
{
    public static ProblemHttpResult Result(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static ProblemHttpResult BadRequest(string detail) => Result(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static ProblemHttpResult NotFound(string detail) => Result(StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>400 with an <c>errors</c> member mapping each offending field to what is wrong with it.</summary>
    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "The request has invalid fields; see 'errors'.", title: "Validation failed");

    /// <summary>422 with an <c>errors</c> member: the body is a well-formed widget, but what it asks for cannot be
    /// (a poll with one option, a clock in a zone that does not exist).</summary>
    public static ProblemHttpResult Unprocessable(IDictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "Invalid widget config",
            Detail = "The widget's config breaks its kind's rules; see 'errors' (docs/widgets.md lists them).",
        });

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>Writes a problem straight to the response, for code that runs outside an endpoint.</summary>
    public static Task Write(HttpContext context, int status, string title, string detail) =>
        Write(context, new ProblemDetails { Status = status, Title = title, Detail = detail });

    /// <summary>Writes the 400 of <see cref="Validation(string, string)"/> straight to the response.</summary>
    public static Task WriteValidation(HttpContext context, string field, string message) =>
        Write(context, new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Validation failed",
            Detail = "The request has invalid fields; see 'errors'.",
        });

    private static async Task Write(HttpContext context, ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status!.Value;
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            // The client's Accept header excludes JSON (a browser asking for text/html, say). The status code
            // is what matters then, but an explanation in the one format we have beats an empty body.
            problem.Type ??= ProblemTypes.For(problem.Status);
            await context.Response.WriteAsJsonAsync(problem, problem.GetType(), options: null, contentType: "application/problem+json");
        }
    }
}
