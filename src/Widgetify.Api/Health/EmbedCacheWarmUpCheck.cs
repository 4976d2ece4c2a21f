using Microsoft.Extensions.Diagnostics.HealthChecks;
using Widgetify.Api.Embed.Caching;

namespace Widgetify.Api.Health;

/// <summary>Unready while <see cref="EmbedCacheWarmUp"/> reads the widgets visitors view most into the embed cache, so the
/// balancer sends a starting instance requests once it can answer them from memory; ready however the warm-up ended.</summary>
internal sealed class EmbedCacheWarmUpCheck(EmbedCacheWarmUp warmUp) : IHealthCheck
{
    /// <summary>How long a probe waits for a warm-up about to end. Most end within a query (no views in the last hour): a
    /// probe that came a moment too early would otherwise read a fresh instance as unready for one check interval. Real
    /// time, as the database probe's own bound: it bounds an HTTP answer.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await warmUp.Finished.WaitAsync(Wait, TimeProvider.System, cancellationToken);
        }
        catch (TimeoutException)
        {
            var (loaded, wanted) = warmUp.Progress;
            var data = new Dictionary<string, object> { ["loaded"] = loaded };
            if (wanted >= 0)
            {
                data["wanted"] = wanted;
            }

            return HealthCheckResult.Unhealthy(
                $"Warming up: {warmUp.Summary} Ready when it ends, or after Widgetify:Embed:Cache:WarmUpTimeout.", data: data);
        }

        return HealthCheckResult.Healthy(warmUp.Summary);
    }
}
