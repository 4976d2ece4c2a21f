using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Widgetify.Api.Health;
using Widgetify.Core.Traffic;
using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Apis;

/// <summary><c>/health/live</c> (the process answers; never touches the database, so a database outage does
/// not get healthy instances restarted), <c>/health/ready</c> (database reachable, migrations applied, a connection
/// share held, not draining) and <c>/health/serving</c>: ready but for what every instance shares, the database. It is
/// what Kubernetes' readiness probe asks (deploy/kubernetes), where an outage that failed every pod's readiness would
/// leave the Service no endpoint at all; HAProxy's fleet asks <c>/health/ready</c> and falls back to every live instance
/// itself when none is ready.</summary>
internal static class HealthApi
{
    public const string ReadyTag = "ready";

    /// <summary>The checks of <c>/health/serving</c>: those about this instance alone.</summary>
    public const string ServingTag = "serving";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = HealthJsonWriter.WriteAsync,
        }).WithTags("Health").ForOperators();
        // Critical, so that its database probe gets through while writes saturate the limit. With no connection share,
        // admission would shed it (no_capacity) and answer a problem body where the health report belongs: its probe does
        // no database work then (DatabaseReadyCheck), so it skips admission and says why it is not ready.
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = HealthJsonWriter.WriteAsync,
        }).WithTags("Health").ForOperators().WithAdmissionPriority(RequestPriority.Critical)
            .WithoutAdmissionWhen(context => context.RequestServices.GetRequiredService<PoolGovernor>().Current.Share == 0);
        // No admission priority, so no admission at all (as /health/live): its checks read memory only, and a share of 0,
        // which sheds every admitted request, is one of the states it must report rather than be shed by.
        app.MapHealthChecks("/health/serving", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ServingTag),
            ResponseWriter = HealthJsonWriter.WriteAsync,
        }).WithTags("Health").ForOperators();
        return app;
    }
}
