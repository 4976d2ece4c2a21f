using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Widgetify.Observability.Database;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Widgetify.Observability.Metrics;

/// <summary>Registers the OpenTelemetry SDK: one meter provider per host, read by the Prometheus exporter
/// (<c>/metrics</c>), by <see cref="MetricsCollector"/> (the in-process signals) and, when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, by the OTLP exporter, which then also receives traces.</summary>
internal static class TelemetryServiceCollectionExtensions
{
    /// <summary>The configuration key (an environment variable, usually) that turns on OTLP export.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The framework's meters exposed at <c>/metrics</c> (and over OTLP) and read by the alerts, besides the
    /// service's own.</summary>
    private static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",       // http.server.request.duration, http.server.active_requests
        "Microsoft.AspNetCore.Server.Kestrel", // connections, queued connections, TLS handshakes
        "Microsoft.AspNetCore.Routing",       // route match attempts
        "Microsoft.AspNetCore.Diagnostics",   // exceptions the exception handler saw
        "Npgsql",                             // db.client.connection.*, db.client.operation.*
        DatabaseMetrics.MeterName,
        "System.Runtime",                     // GC, thread pool, CPU: the process side of a slow response
    ];

    /// <summary>Registers the meter provider for the framework's meters and <paramref name="serviceMeters"/>; OTLP export
    /// and tracing only when <paramref name="configuration"/> has <see cref="OtlpEndpointKey"/>.</summary>
    public static IServiceCollection AddWidgetifyTelemetry(
        this IServiceCollection services, IConfiguration configuration, IReadOnlyList<string> serviceMeters)
    {
        services.AddSingleton<MetricsCollector>();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddDetector(sp => new MonitoringResourceDetector(sp.GetRequiredService<MonitoringIdentity>())))
            .WithMetrics(metrics => metrics
                .AddMeter([.. FrameworkMeters, .. serviceMeters])
                .AddWidgetifyViews()
                .AddReader(sp =>
                {
                    // The sampler's instruments must exist before the monitoring loop's first collection, and the
                    // write failures' series from the start, at 0.
                    sp.GetRequiredService<DatabaseMetrics>();
                    sp.GetRequiredService<DatabaseWriteFailures>();
                    return sp.GetRequiredService<MetricsCollector>().Reader;
                })
                .AddPrometheusExporter(o =>
                {
                    // The rules select and group by these two; the other resource attributes stay in target_info.
                    o.ResourceConstantLabels = static key => key is "service.name" or "service.instance.id";
                    // otel_scope_name/version labels would add nothing the metric name does not say.
                    o.ScopeInfoEnabled = false;
                }));

        // No endpoint, no exporter: a service without a collector makes no connection attempts and records no spans.
        if (!string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]))
        {
            telemetry
                .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddNpgsql())
                .UseOtlpExporter();
        }

        return services;
    }
}
