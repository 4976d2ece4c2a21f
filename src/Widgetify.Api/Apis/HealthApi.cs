using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Widgetify.Api.Health;
using Widgetify.Core.Traffic;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Apis;

/// <summary><c>/health/live</c> (the process answers; never touches the database, so a database outage does
/// not get healthy instances restarted) and <c>/health/ready</c> (database reachable, migrations applied).</summary>
internal static class HealthApi
{
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = HealthJsonWriter.WriteAsync,
        }).WithTags("Health").ForOperators();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = HealthJsonWriter.WriteAsync,
        }).WithTags("Health").ForOperators().WithAdmissionPriority(RequestPriority.Critical);
        return app;
    }
}
