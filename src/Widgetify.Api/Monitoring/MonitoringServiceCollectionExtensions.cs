using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Widgetify.Api.Data;
using Widgetify.Incidents;
using Widgetify.Incidents.Impact;
using Widgetify.Observability;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Database;
using Widgetify.Observability.Metrics;
using Widgetify.Observability.Notifications;
using Widgetify.Observability.Signals;
using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Monitoring;

/// <summary>Registers metrics, the database sampler, alerts, notifications and incidents.</summary>
internal static class MonitoringServiceCollectionExtensions
{
    /// <summary>The meters exposed at <c>/metrics</c> and read by the alerts.</summary>
    public static readonly string[] Meters =
    [
        "Microsoft.AspNetCore.Hosting", // http.server.request.duration
        "Npgsql",                       // db.client.connection.*, db.client.operation.*
        AdmissionMetrics.MeterName,
        PoolGovernanceMetrics.MeterName,
        DatabaseMetrics.MeterName,
        "System.Runtime",               // GC, thread pool, CPU: the process side of a slow response
    ];


    public static IServiceCollection AddWidgetifyMonitoring(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Monitoring);
        services.AddSingleton(sp => new MonitoringIdentity(sp.GetRequiredService<MonitoringOptions>().ResolveInstanceName()));
        services.AddSingleton(sp => new DatabaseSampler(
            sp.GetRequiredService<WidgetifyDataSources>().Control, sp.GetRequiredService<TimeProvider>(),
            // Three missed samples: one slow answer is not an outage.
            sp.GetRequiredService<MonitoringOptions>().DatabaseSampleInterval * 3, sp.GetRequiredService<ILogger<DatabaseSampler>>()));
        services.AddSingleton<DatabaseMetrics>();
        services.AddSingleton(sp =>
        {
            // The sampler's instruments must exist before anyone collects.
            sp.GetRequiredService<DatabaseMetrics>();
            // The host's factory: several hosts in one process (tests) must each see only their own instruments.
            return new MetricsCollector(Meters, sp.GetRequiredService<IMeterFactory>());
        });
        services.AddSingleton(sp => new SignalSampler(
            WidgetifyDataSources.PrimaryPoolName, sp.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Database.ApplicationName));
        services.AddSingleton<SignalHistory>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<MonitoringOptions>();
            return new AlertEvaluator(options.Alerts, options.Slo);
        });
        services.AddHttpClient(nameof(AlertNotifier));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<MonitoringOptions>();
            var identity = sp.GetRequiredService<MonitoringIdentity>();
            return new AlertNotifier(
                options.Webhooks, identity.Labels.ToDictionary(l => l.Key, l => l.Value), options.ExternalUrl,
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(AlertNotifier)),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AlertNotifier>>());
        });
        services.AddSingleton(sp => new ClientImpactTracker(
            sp.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Incidents, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new IncidentStore(sp.GetRequiredService<WidgetifyDataSources>().Control));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<WidgetifyOptions>>().Value;
            return new IncidentTracker(
                options.Incidents, options.Monitoring.Slo, options.Monitoring.Alerts, sp.GetRequiredService<IncidentStore>(), sp.GetRequiredService<ClientImpactTracker>(),
                sp.GetRequiredService<MonitoringIdentity>().InstanceName, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<IncidentTracker>>());
        });
        services.AddSingleton<IMonitoringObserver>(sp => sp.GetRequiredService<IncidentTracker>());
        services.AddHostedService<MonitoringService>();
        return services;
    }
}
