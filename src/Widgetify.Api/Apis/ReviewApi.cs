using System.Globalization;
using Microsoft.Extensions.Options;
using Widgetify.Api.Auth;
using Widgetify.Api.Review;
using Widgetify.Core.Traffic;
using Widgetify.PoolReview;
using Widgetify.PoolReview.Rules;

namespace Widgetify.Api.Apis;

/// <summary><c>GET /api/review</c>: the service's latest review of its own pool settings, the same document as
/// <c>./widgetify review --format json</c> (plus when the next review is due), behind an operator key and outside
/// admission control like the other monitoring endpoints.</summary>
internal static class ReviewApi
{
    public static IEndpointRouteBuilder MapReviewApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/review", GetReview)
            .RequireAuthorization(AuthorizationPolicies.Operator)
            .WithTags("Monitoring")
            .ForOperators()
            .Produces<string>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("The latest review of the connection pool settings: the servers, the findings (most severe first), the settings applied by `widgetify review --apply`.");
        return app;
    }

    private static IResult GetReview(LatestPoolReview latest, IOptions<PoolReviewOptions> options, TimeProvider timeProvider, HttpContext context)
    {
        if (!options.Value.Enabled)
        {
            return TypedResults.Problem(
                title: "The service does not review its settings",
                detail: "Widgetify:Review:Enabled is false, so no review runs here. Run './widgetify review' instead, or set it to true and restart.",
                statusCode: StatusCodes.Status404NotFound);
        }

        var state = latest.Current;
        if (state.Report is not { } report)
        {
            // Until the first review completes: come back when the next attempt is due (a few seconds after start).
            var retry = state.NextAt is { } next ? Math.Max(1, (int)Math.Ceiling((next - timeProvider.GetUtcNow()).TotalSeconds)) : 5;
            context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                title: "No pool review yet",
                detail: state.LastError is { } error
                    ? $"The first review of the pool settings could not run ({error}); it is retried in {retry} s."
                    : "The first review of the pool settings is still running; retry in a few seconds.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return TypedResults.Text(ReviewDocument.Write(report, state.Applied, state.NextAt), "application/json");
    }
}
