using Microsoft.Extensions.Diagnostics.HealthChecks;
using Widgetify.Api.Draining;

namespace Widgetify.Api.Health;

/// <summary>Unready from the moment the instance starts to stop, so a balancer takes it out before its listener closes
/// (<see cref="ShutdownDrain"/>); liveness is unaffected.</summary>
internal sealed class DrainingCheck(ShutdownDrain drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (drain.DrainingSince is not { } since)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Serving."));
        }

        var data = new Dictionary<string, object> { ["drainingSince"] = since };
        return Task.FromResult(HealthCheckResult.Unhealthy(
            "This instance is stopping: send it no new requests. Requests that still arrive are served with Connection: close " +
            "until the listener closes (Widgetify:Api:DrainDelay after the stop began).",
            data: data));
    }
}
