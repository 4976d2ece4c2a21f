using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Incidents.Impact;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Incidents.Persistence;
using Widgetify.Observability;

namespace Widgetify.Incidents;

/// <summary>Registers the incident timeline: the tracker that follows the monitoring loop (registered by
/// <see cref="ObservabilityServiceCollectionExtensions.AddObservability"/>), its store in PostgreSQL and the client
/// impact tracker that <see cref="ClientImpactExtensions.UseClientImpactTracking"/> feeds.</summary>
public static class IncidentsServiceCollectionExtensions
{
    /// <summary>Registers incidents with the validated <paramref name="options"/>, kept in the database behind
    /// <paramref name="controlConnection"/> (not the request pool: the timeline must be written while that pool is
    /// exhausted).</summary>
    public static IServiceCollection AddIncidents(
        this IServiceCollection services, Func<IServiceProvider, IncidentOptions> options, Func<IServiceProvider, NpgsqlDataSource> controlConnection)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(controlConnection);
        services.AddSingleton(sp => new ClientImpactTracker(options(sp), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new IncidentStore(controlConnection(sp)));
        services.AddSingleton(sp => new IncidentTracker(
            options(sp), sp.GetRequiredService<ServiceLevelObjectives>(), sp.GetRequiredService<MonitoringOptions>().Alerts,
            sp.GetRequiredService<IncidentStore>(),
            sp.GetRequiredService<ClientImpactTracker>(), sp.GetRequiredService<MonitoringIdentity>().InstanceName,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<IncidentTracker>>()));
        services.AddSingleton<IMonitoringObserver>(sp => sp.GetRequiredService<IncidentTracker>());
        return services;
    }
}
