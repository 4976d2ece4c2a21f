namespace Widgetify.Api.Errors;

/// <summary>A detail for the problems the framework answers on its own, with a bare status (status-code pages): a path
/// no endpoint serves, a method the path does not take, a request it could not read. Every problem of Widgetify's own
/// already has one, so only a problem without a detail is filled in. Every problem also gets a type when its status has
/// none from the framework.</summary>
internal static class StatusCodeProblems
{
    public static void Explain(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Type ??= ProblemTypes.For(problem.Status);
        if (problem.Detail is not null)
        {
            return;
        }

        var request = context.HttpContext.Request;
        var response = context.HttpContext.Response;
        var path = request.Path.Value;
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound =>
                $"Nothing is served at {path}. Widgets are under /api/widgets, embeds at /w/{{id}}, and /openapi/v1.json lists every endpoint.",
            StatusCodes.Status405MethodNotAllowed when response.Headers.Allow.Count > 0 =>
                $"{path} does not take {request.Method}; it takes {string.Join(", ", response.Headers.Allow.ToArray())} (see the Allow header).",
            StatusCodes.Status405MethodNotAllowed => $"{path} does not take {request.Method}; /openapi/v1.json lists each endpoint's methods.",
            StatusCodes.Status400BadRequest => "The request could not be read: check its path, query string and headers against /openapi/v1.json.",
            _ => null,
        };
    }
}
