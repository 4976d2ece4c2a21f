using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Widgetify.Observability;
using Widgetify.PoolReview.History;

namespace Widgetify.PoolReview;

/// <summary>Registers the pool review's parts on top of monitoring
/// (<see cref="ObservabilityServiceCollectionExtensions.AddObservability"/>, whose loop feeds them).</summary>
public static class PoolReviewServiceCollectionExtensions
{
    /// <summary>Registers the pool history: the recorder that follows the monitoring loop and writes a row per server
    /// and minute to <c>widgetify_pool_minutes</c> on the <see cref="MonitoredService.ControlConnection"/>, trimmed to
    /// <see cref="PoolReviewOptions.HistoryRetention"/>, and <see cref="PoolHistory"/> to read it. Settings are bound from
    /// <paramref name="configuration"/>'s <c>Widgetify:Review</c> section and validated when the host starts. The
    /// standbys' pools are recorded when the service registers an <see cref="IServerPoolSource"/>. Nothing is recorded
    /// while monitoring is off (<c>Widgetify:Monitoring:Enabled</c>).</summary>
    /// <param name="services">The services, with monitoring registered.</param>
    /// <param name="configuration">The root configuration.</param>
    public static IServiceCollection AddPoolHistory(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PoolReviewOptions>().Bind(configuration.GetSection(PoolReviewOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PoolReviewOptions>, PoolReviewOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new PoolHistory(sp.GetRequiredService<MonitoredService>().ControlConnection));
        services.AddSingleton<IMonitoringObserver>(sp =>
        {
            // Validated (ValidateOnStart runs before hosted services start) and copied: later changes are not seen.
            var options = sp.GetRequiredService<IOptions<PoolReviewOptions>>().Value.Copy();
            var logger = sp.GetRequiredService<ILogger<PoolHistoryRecorder>>();
            var pending = new PendingMinutes(PendingMinutes.DefaultCapacity);
            var writer = new PoolMinuteWriter(sp.GetRequiredService<MonitoredService>().ControlConnection);
            var flusher = new PoolHistoryFlusher(writer, pending, options.HistoryRetention, sp.GetRequiredService<TimeProvider>(), logger);
            return new PoolHistoryRecorder(
                sp.GetRequiredService<MonitoringIdentity>().InstanceName, sp.GetService<IServerPoolSource>(), pending, flusher, logger);
        });
        return services;
    }
}
