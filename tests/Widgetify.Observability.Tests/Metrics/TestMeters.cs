using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Tests.Metrics;

/// <summary>A meter with a name of its own, and an OpenTelemetry meter provider with Widgetify's views and a
/// <see cref="MetricsCollector"/> listening to it: tests run in parallel and a provider sees every static meter of its
/// names in the process, so a shared name would mix tests' measurements.</summary>
internal sealed class TestMeters : IDisposable
{
    private readonly MeterProvider _provider;

    public TestMeters()
    {
        MeterName = $"Widgetify.Tests.Metrics.{Guid.NewGuid():N}";
        Meter = new Meter(MeterName);
        Collector = new MetricsCollector();
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(MeterName)
            .AddWidgetifyViews()
            .AddReader(Collector.Reader)
            .Build();
    }

    public string MeterName { get; }

    public Meter Meter { get; }

    public MetricsCollector Collector { get; }

    public void Dispose()
    {
        _provider.Dispose();
        Meter.Dispose();
    }
}
