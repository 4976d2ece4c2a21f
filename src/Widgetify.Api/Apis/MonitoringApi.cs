using Microsoft.AspNetCore.Http.HttpResults;
using Widgetify.Api.Auth;
using Widgetify.Api.Monitoring;
using Widgetify.Core.Traffic;
using Widgetify.Incidents;
using Widgetify.Incidents.Persistence;
using Widgetify.Observability;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.Api.Apis;

/// <summary>What operators read: <c>/metrics</c> for Prometheus, and behind an operator key the alerts, the incidents
/// and the last minutes of signals the dashboard draws. All of it bypasses admission control: an overloaded service is
/// exactly when operators must be able to look at it, and none of it takes a request-pool connection.</summary>
internal static class MonitoringApi
{
    public const int MaxSignalSeconds = 3600;

    public static IEndpointRouteBuilder MapMonitoringApi(this IEndpointRouteBuilder app)
    {
        // OpenTelemetry's Prometheus exporter, in the text format 0.0.4 whatever the scraper prefers: Prometheus 2.42
        // asks for OpenMetrics first, which would add a _created series per counter and histogram and make the
        // bytes Prometheus ingests differ from what `promtool check metrics` lints.
        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: static branch => branch.Use(static async (context, next) =>
            {
                context.Response.Headers.CacheControl = "no-store";
                if (!MetricsToken.Allows(context))
                {
                    await MetricsToken.ChallengeAsync(context);
                    return;
                }

                context.Request.Headers.Accept = "text/plain; version=0.0.4";
                await next(context);
            }), optionsName: null)
            .WithTags("Monitoring")
            .ExcludeFromDescription()
            .ForOperators();

        var api = app.MapGroup("/api")
            .RequireAuthorization(AuthorizationPolicies.Operator)
            .WithTags("Monitoring")
            .ForOperators()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/alerts", GetAlerts)
            .WithSummary("Alerts pending or firing now, and the recently resolved ones.");
        api.MapGet("/incidents", ListIncidentsAsync)
            .ProducesValidationProblem()
            .WithSummary("Incidents, newest first, with their impact and times to detect, mitigate and resolve.");
        api.MapGet("/incidents/{id}", GetIncidentAsync)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One incident (full id or a unique prefix of 8+ characters) with its timeline.");
        api.MapGet("/monitoring/signals", GetSignals)
            .ProducesValidationProblem()
            .WithSummary("This instance's per-second signals (what the alerts read), oldest first.");
        return app;
    }

    private static Ok<AlertsResponse> GetAlerts(AlertEvaluator evaluator) =>
        TypedResults.Ok(new AlertsResponse(evaluator.Active.Select(AlertView.From).ToList(), evaluator.Recent.Select(AlertView.From).ToList()));

    private static async Task<Results<Ok<IncidentPage>, ValidationProblem>> ListIncidentsAsync(
        IncidentStore store, CancellationToken cancellationToken, int limit = 20)
    {
        if (limit is < 1 or > 100)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["limit must be from 1 to 100."] });
        }

        var incidents = await store.ListAsync(limit, cancellationToken);
        return TypedResults.Ok(new IncidentPage(incidents.Select(IncidentView.From).ToList()));
    }

    private static async Task<Results<Ok<IncidentDetail>, ProblemHttpResult>> GetIncidentAsync(
        string id, IncidentStore store, CancellationToken cancellationToken)
    {
        Incident? incident;
        try
        {
            incident = await store.FindAsync(id, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            // Not an id, or a prefix that several incidents share: the message says which and what to send instead.
            // The sentence alone: ArgumentException appends the parameter's name, which means nothing to the caller.
            var detail = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a usable incident id", detail: detail);
        }

        var report = incident is null ? null : await store.LoadReportAsync(incident.Id, cancellationToken);
        if (report is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Incident not found",
                detail: $"No incident has the id '{id}', or starts with it. GET /api/incidents lists them.");
        }

        return TypedResults.Ok(IncidentDetail.From(report));
    }

    private static Results<Ok<SignalsResponse>, ValidationProblem> GetSignals(
        SignalHistory history, MonitoringIdentity identity, MonitoringOptions options, TimeProvider timeProvider, int seconds = 300)
    {
        if (seconds is < 1 or > MaxSignalSeconds)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["seconds"] = [$"seconds must be from 1 to {MaxSignalSeconds}."],
            });
        }

        var samples = history.Window(timeProvider.GetUtcNow(), TimeSpan.FromSeconds(seconds)).Select(SignalView.From).ToList();
        return TypedResults.Ok(new SignalsResponse(
            identity.InstanceName, identity.InstanceName, new SloView(options.Slo.Availability, options.Slo.LatencyP99Seconds), samples));
    }
}
