using System.Diagnostics.Metrics;
using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Tests.Metrics;

/// <summary>A meter with a name of its own and a collector listening to it: a MeterListener sees every meter in the
/// process and tests run in parallel, so a shared name would mix tests' measurements.</summary>
internal sealed class TestMeters : IDisposable
{
    public TestMeters()
    {
        MeterName = $"Widgetify.Tests.Metrics.{Guid.NewGuid():N}";
        Meter = new Meter(MeterName);
        Collector = new MetricsCollector([MeterName]);
    }

    public string MeterName { get; }

    public Meter Meter { get; }

    public MetricsCollector Collector { get; }

    public void Dispose()
    {
        Collector.Dispose();
        Meter.Dispose();
    }
}
