using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Widgetify.Api.Auth;
using Widgetify.Api.Data;
using Widgetify.Api.Scaling;
using Widgetify.Core.Traffic;
using Widgetify.Observability.Signals;
using Widgetify.Overload.PoolGovernance;
using Widgetify.Scaling;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Decisions;

namespace Widgetify.Api.Apis;

/// <summary><c>GET /api/scaling</c>: the servers reads go to and the autoscaler's decisions, behind an operator key and
/// outside admission control like the other monitoring endpoints. The servers are as this instance sees them; the
/// decisions are the fleet's, from PostgreSQL (this instance's own when it cannot be read).</summary>
internal static class ScalingApi
{
    public const int MaxDecisions = 1_000;

    public static IEndpointRouteBuilder MapScalingApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/scaling", GetScalingAsync)
            .RequireAuthorization(AuthorizationPolicies.Operator)
            .WithTags("Monitoring")
            .ForOperators()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesValidationProblem()
            .WithSummary("The database servers (role, state, lag, reads served) and the autoscaler's decisions, newest first.");
        return app;
    }

    private static async Task<Results<Ok<ScalingResponse>, ValidationProblem>> GetScalingAsync(
        WidgetifyDataSources dataSources, PoolGovernor governor, SignalHistory signals, ScalingDecisionLog decisions, ScalingMetrics metrics,
        IOptions<ScalingOptions> scaling, IOptions<WidgetifyOptions> options, CancellationToken cancellationToken, int limit = 50)
    {
        if (limit is < 1 or > MaxDecisions)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must be from 1 to {MaxDecisions}."] });
        }

        var latest = signals.Latest;
        var primary = ServerView.Primary(
            options.Value.Database.ConnectionString!, latest?.DatabaseUp ?? true, (int)(latest?.PoolUsed ?? 0), governor.Current.Share);
        var servers = dataSources.Router.Servers(primary).Select(ServerView.From).ToList();
        var recent = await decisions.ReadFleetAsync(limit, cancellationToken);
        return TypedResults.Ok(new ScalingResponse(AutoscalerView.From(scaling.Value, metrics), servers, [.. recent.Select(DecisionView.Of)]));
    }
}
