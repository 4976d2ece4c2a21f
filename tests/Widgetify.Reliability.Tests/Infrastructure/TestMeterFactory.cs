using System.Diagnostics.Metrics;

namespace Widgetify.Reliability.Tests.Infrastructure;

/// <summary>An <see cref="IMeterFactory"/> whose meters carry the factory as scope, so a listener can hear this
/// test's meters and not those of tests running in parallel.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}
