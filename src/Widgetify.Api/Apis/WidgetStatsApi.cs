using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Widgetify.Api.Auth;
using Widgetify.Api.Consistency;
using Widgetify.Api.Errors;
using Widgetify.Api.Stats;

namespace Widgetify.Api.Apis;

/// <summary><c>GET /api/widgets/{id}/stats</c>: what visitors did with a widget, per hour or per UTC day, read from the
/// hourly rollups (never a scan of raw events: there are none).</summary>
internal static class WidgetStatsApi
{
    public static RouteHandlerBuilder MapWidgetStatsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/widgets/{id}/stats", GetAsync)
            .RequireAuthorization(AuthorizationPolicies.Tenant)
            .WithTags("Widgets")
            .Produces<WidgetStats>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ReadsConsistencyToken()
            .WithSummary("A widget's views, votes and clicks per hour or per UTC day (ISO 8601 from/to; default: the last 24 hours by hour).")
            .WithDescription(
                "Buckets are whole hours or whole UTC days (00:00 to 24:00 UTC); a from/to inside a bucket is widened to its edges " +
                "and the range used is returned. Buckets without activity are zeros. At most 744 hourly or 400 daily buckets. " +
                "Hours older than Widgetify:Stats:RetentionDays (default 400) are deleted: 'retainedFrom' says where kept data starts.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
                {
                    (parameter.Description, parameter.Schema) = parameter.Name switch
                    {
                        "from" => ("Start, ISO 8601 (e.g. 2026-12-06T00:00:00Z or 2026-12-06; no offset means UTC). Default: 24 hours (hour) or 30 days (day) before 'to'.",
                            new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" }),
                        "to" => ("End (exclusive), ISO 8601. Default: the end of the current hour or UTC day.",
                            new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" }),
                        "interval" => ("Bucket width: hour (at most 744 buckets) or day (a UTC day, at most 400). Default hour.",
                            new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("hour"), JsonValue.Create("day")], Default = JsonValue.Create("hour") }),
                        _ => (parameter.Description, parameter.Schema),
                    };
                }

                return Task.CompletedTask;
            });

    private static async Task<IResult> GetAsync(
        string id, HttpContext context, ClaimsPrincipal user, WidgetActivityStore store, TimeProvider timeProvider,
        IOptions<WidgetifyOptions> options, CancellationToken cancellationToken,
        [FromQuery] string? from = null, [FromQuery] string? to = null, [FromQuery] string? interval = null)
    {
        if (!WidgetsApi.TryParseId(id, out var widgetId, out var invalid))
        {
            return invalid;
        }

        var now = timeProvider.GetUtcNow();
        if (StatsQuery.TryParse(from, to, interval, now, out var errors) is not { } query)
        {
            return Problems.Validation(errors);
        }

        var rows = await store.ReadAsync(user.GetTenantId(), widgetId, query, cancellationToken);
        if (rows is null)
        {
            return Problems.NotFound($"No widget {widgetId} for this API key's tenant.");
        }

        context.Response.Headers.CacheControl = "private, no-cache";
        return TypedResults.Ok(WidgetStats.Create(query, rows, ActivityRetention.RetainedFrom(now, options.Value.Stats)));
    }
}

/// <summary>A widget's activity over a range.</summary>
/// <param name="Interval">hour, or day (a UTC day: the sum of its 24 hours from 00:00 UTC).</param>
/// <param name="From">Start of the first bucket (inclusive).</param>
/// <param name="To">End of the last bucket (exclusive).</param>
/// <param name="RetainedFrom">Hours before this were deleted by retention (Widgetify:Stats:RetentionDays): buckets before it read as zeros.</param>
/// <param name="Buckets">Every bucket of the range, oldest first, zeros included.</param>
/// <param name="Totals">The sums over the buckets.</param>
internal sealed record WidgetStats(
    string Interval, DateTimeOffset From, DateTimeOffset To, DateTimeOffset RetainedFrom, IReadOnlyList<StatsBucket> Buckets, StatsTotals Totals)
{
    public static WidgetStats Create(StatsQuery query, IReadOnlyList<ActivityBucket> rows, DateTimeOffset retainedFrom)
    {
        var byStart = rows.ToDictionary(r => r.Start);
        var buckets = new List<StatsBucket>(query.BucketCount);
        for (var start = query.From; start < query.To; start += query.Interval.Width)
        {
            buckets.Add(byStart.TryGetValue(start, out var row)
                ? new StatsBucket(start, row.Views, row.Votes, row.Clicks)
                : new StatsBucket(start, 0, 0, 0));
        }

        var totals = new StatsTotals(buckets.Sum(b => b.Views), buckets.Sum(b => b.Votes), buckets.Sum(b => b.Clicks));
        return new WidgetStats(query.Interval.Name, query.From, query.To, retainedFrom, buckets, totals);
    }
}

/// <summary>One hour or UTC day.</summary>
/// <param name="Start">The bucket's start, UTC.</param>
/// <param name="Views">Embed views counted in it.</param>
/// <param name="Votes">Poll votes counted in it.</param>
/// <param name="Clicks">Banner clicks counted in it.</param>
internal sealed record StatsBucket(DateTimeOffset Start, long Views, long Votes, long Clicks);

/// <summary>Sums over the range.</summary>
/// <param name="Views">Embed views.</param>
/// <param name="Votes">Poll votes.</param>
/// <param name="Clicks">Banner clicks.</param>
internal sealed record StatsTotals(long Views, long Votes, long Clicks);
