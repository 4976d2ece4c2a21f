using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Database;
using Widgetify.Observability.Metrics;
using Widgetify.Observability.Notifications;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability;

/// <summary>Registers monitoring: metrics, the database sampler, the per-second signals, the alerts and their
/// notifications, and the loop that runs them. Observers of that loop (the incidents) register themselves as
/// <see cref="IMonitoringObserver"/>.</summary>
public static class ObservabilityServiceCollectionExtensions
{
    /// <summary>Registers monitoring with the validated <paramref name="options"/> and what it needs to know of the
    /// <paramref name="service"/> it watches. The framework's meters and <paramref name="serviceMeters"/> (the service's
    /// own: admission control, the pool budget) are exported at <c>/metrics</c>, and over OTLP when
    /// <paramref name="configuration"/> has <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public static IServiceCollection AddObservability(
        this IServiceCollection services, IConfiguration configuration, IReadOnlyList<string> serviceMeters,
        Func<IServiceProvider, MonitoringOptions> options, Func<IServiceProvider, MonitoredService> service)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(service);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton(options);
        services.AddSingleton(sp => sp.GetRequiredService<MonitoringOptions>().Slo);
        services.AddSingleton(service);
        services.AddSingleton(sp => new MonitoringIdentity(sp.GetRequiredService<MonitoringOptions>().ResolveInstanceName()));
        services.AddSingleton(sp => new DatabaseSampler(
            sp.GetRequiredService<MonitoredService>().ControlConnection, sp.GetRequiredService<TimeProvider>(),
            // Three missed samples: one slow answer is not an outage.
            sp.GetRequiredService<MonitoringOptions>().DatabaseSampleInterval * 3, sp.GetRequiredService<ILogger<DatabaseSampler>>()));
        services.AddSingleton<DatabaseMetrics>();
        services.TryAddSingleton<DatabaseWriteFailures>();
        services.AddWidgetifyTelemetry(configuration, serviceMeters);
        services.AddSingleton(sp =>
        {
            var watched = sp.GetRequiredService<MonitoredService>();
            return new SignalSampler(watched.RequestPoolName, watched.ApplicationName);
        });
        services.AddSingleton<SignalHistory>();
        services.AddSingleton(sp =>
        {
            var monitoring = sp.GetRequiredService<MonitoringOptions>();
            return new AlertEvaluator(monitoring.Alerts, monitoring.Slo);
        });
        services.AddHttpClient(nameof(AlertNotifier));
        services.AddSingleton(sp =>
        {
            var monitoring = sp.GetRequiredService<MonitoringOptions>();
            var identity = sp.GetRequiredService<MonitoringIdentity>();
            return new AlertNotifier(
                monitoring.Webhooks, identity.Labels.ToDictionary(l => l.Key, l => l.Value), monitoring.ExternalUrl,
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(AlertNotifier)),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AlertNotifier>>());
        });
        services.AddHostedService<MonitoringService>();
        return services;
    }
}
