using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

[Collection(PoolGovernanceDatabase.Name)]
public sealed class PoolGovernanceMetricsTests(PoolGovernanceCluster cluster) : IAsyncLifetime
{
    public Task InitializeAsync() => cluster.ResetLeasesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task OpenConnectionAsync_ConnectionOpenedAndClosed_RecordsAcquireAndHoldDurations()
    {
        // Arrange
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        var metrics = new PoolGovernanceMetrics(meterFactory);
        var name = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        await using var governor = cluster.Governor(name, 3, PoolGovernanceCluster.Options(reservedForOtherClients: 5), TimeProvider.System, metrics: metrics);
        await governor.StartAsync(CancellationToken.None);
        await using var pool = cluster.AppPool(name, maxPoolSize: 3);
        var measured = new ConcurrentQueue<(string Instrument, double Value, object? Pool)>();
        using var listener = Listen(meterFactory, measured);

        // Act
        await using (var connection = await governor.OpenConnectionAsync(pool, CancellationToken.None))
        {
            listener.RecordObservableInstruments();
        }

        // Assert
        Single(measured, "widgetify.pool.acquire.duration").ShouldBe((name, true));
        Single(measured, "widgetify.pool.hold.duration").ShouldBe((name, true));
        measured.ShouldContain(("widgetify.pool.connections.held", 1d, name));
        measured.ShouldContain(("widgetify.pool.share", 3d, name));
        measured.ShouldContain(("widgetify.pool.budget", 12d, name));
        measured.ShouldContain(("widgetify.pool.instances", 1d, name));
        measured.ShouldContain(("widgetify.pool.connections.waiting", 0d, name));
    }

    [Fact]
    public async Task DisposeAsync_GovernorDisposed_LeavesTheGauges()
    {
        // Arrange
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        var metrics = new PoolGovernanceMetrics(meterFactory);
        var governor = cluster.Governor("metrics-gone", 3, PoolGovernanceCluster.Options(reservedForOtherClients: 5), TimeProvider.System, metrics: metrics);
        var measured = new ConcurrentQueue<(string Instrument, double Value, object? Pool)>();
        using var listener = Listen(meterFactory, measured);

        // Act
        await governor.DisposeAsync();
        listener.RecordObservableInstruments();

        // Assert
        measured.ShouldBeEmpty();
    }

    private static (object? Pool, bool NonNegative) Single(
        ConcurrentQueue<(string Instrument, double Value, object? Pool)> measured, string instrument)
    {
        var recorded = measured.Where(m => m.Instrument == instrument).ShouldHaveSingleItem();
        return (recorded.Pool, recorded.Value >= 0);
    }

    private static MeterListener Listen(IMeterFactory meterFactory, ConcurrentQueue<(string, double, object?)> measured)
    {
        var listener = new MeterListener
        {
            // Only this test's factory: tests in parallel make meters of the same name.
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meterFactory && instrument.Meter.Name == PoolGovernanceMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measured.Enqueue((instrument.Name, value, PoolTag(tags))));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => measured.Enqueue((instrument.Name, value, PoolTag(tags))));
        listener.Start();
        return listener;
    }

    private static object? PoolTag(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == PoolGovernanceMetrics.PoolNameTag)
            {
                return tag.Value;
            }
        }

        return null;
    }
}
