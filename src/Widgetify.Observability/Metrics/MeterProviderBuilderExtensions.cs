using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Widgetify.Observability.Metrics;

/// <summary>Widgetify's metric streams on an OpenTelemetry <see cref="MeterProviderBuilder"/>.</summary>
public static class MeterProviderBuilderExtensions
{
    /// <summary>Adds the view that keeps a host to its own meters and the exposition clean for Prometheus and the
    /// rules: meters another host's <see cref="IMeterFactory"/> created are dropped, non-monotonic
    /// "<c>x.count</c>" instruments are streamed as "<c>xs</c>" (<c>db.client.connection.count</c> as
    /// <c>db.client.connections</c>), and duration histograms in seconds without bucket advice get second-sized
    /// buckets rather than the SDK's millisecond defaults.</summary>
    /// <param name="builder">The meter provider's builder.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddWidgetifyViews(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // The host's factory is known once its service provider exists, which a deferred builder waits for.
        if (builder is IDeferredMeterProviderBuilder deferred)
        {
            return deferred.Configure(static (services, builder) =>
            {
                var meterFactory = services.GetService<IMeterFactory>();
                builder.AddView(instrument => MetricViews.Select(instrument, meterFactory));
            });
        }

        return builder.AddView(static instrument => MetricViews.Select(instrument, meterFactory: null));
    }
}
