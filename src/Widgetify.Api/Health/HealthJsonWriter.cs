using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Widgetify.Api.Health;

/// <summary>Writes health reports as <c>application/health+json</c> (draft-inadvisable-health-check):
/// status pass/warn/fail and one entry per check with its output. A failing probe's 503 carries <c>Retry-After: 1</c>, as
/// every other 503 of the service does: what fails it (a start, a warm-up, a lost share, a database away) is looked at
/// again at the next probe.</summary>
internal static class HealthJsonWriter
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/health+json";
        context.Response.Headers.CacheControl = "no-store";
        if (context.Response.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        var checks = report.Entries.ToDictionary(
            e => e.Key,
            e => (object)new[]
            {
                new
                {
                    status = Status(e.Value.Status),
                    output = e.Value.Description,
                    observedValue = e.Value.Data.Count > 0 ? e.Value.Data : null,
                    durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                },
            });
        var body = new { status = Status(report.Status), checks };
        await JsonSerializer.SerializeAsync(context.Response.Body, body, JsonOptions, context.RequestAborted);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static string Status(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "pass",
        HealthStatus.Degraded => "warn",
        _ => "fail",
    };
}
