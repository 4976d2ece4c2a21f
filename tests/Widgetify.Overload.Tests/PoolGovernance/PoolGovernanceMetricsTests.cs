using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

[Collection(PoolGovernanceDatabase.Name)]
public sealed class PoolGovernanceMetricsTests(PoolGovernanceCluster cluster) : IAsyncLifetime
{
    // Durations are measured on this clock, so they are exact.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2024, 2, 15, 8, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    public Task InitializeAsync() => cluster.ResetLeasesAsync();

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task OpenConnectionAsync_ConnectionOpenedAndClosed_RecordsAcquireAndHoldDurations()
    {
        // Arrange
        var metrics = new PoolGovernanceMetrics(MeterFactory);
        var name = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        await using var governor = cluster.Governor(name, 3, PoolGovernanceCluster.Options(reservedForOtherClients: 5), _time, metrics: metrics);
        await governor.StartAsync(CancellationToken.None);
        await using var pool = cluster.AppPool(name, maxPoolSize: 3);
        using var acquire = Collect<double>("widgetify.pool.acquire.duration");
        using var hold = Collect<double>("widgetify.pool.hold.duration");
        Dictionary<string, (int Value, object? Pool)> gauges;

        // Act: opened at once (the share has room), held for 250 ms
        await using (var connection = await governor.OpenConnectionAsync(pool, CancellationToken.None))
        {
            _time.Advance(TimeSpan.FromMilliseconds(250));
            gauges = ObserveGauges();
        }

        // Assert
        var acquired = acquire.GetMeasurementSnapshot().ShouldHaveSingleItem();
        (acquired.Value, acquired.Tags[PoolGovernanceMetrics.PoolNameTag]).ShouldBe((0d, name));
        var held = hold.GetMeasurementSnapshot().ShouldHaveSingleItem();
        (held.Value, held.Tags[PoolGovernanceMetrics.PoolNameTag]).ShouldBe((0.25, name));
        gauges.ShouldBe(new Dictionary<string, (int, object?)>
        {
            ["widgetify.pool.budget"] = (12, name),
            ["widgetify.pool.share"] = (3, name),
            ["widgetify.pool.connections.held"] = (1, name),
            ["widgetify.pool.connections.waiting"] = (0, name),
            ["widgetify.pool.instances"] = (1, name),
        });
    }

    [Fact]
    public async Task DisposeAsync_GovernorDisposed_LeavesTheGauges()
    {
        // Arrange
        var metrics = new PoolGovernanceMetrics(MeterFactory);
        var governor = cluster.Governor("metrics-gone", 3, PoolGovernanceCluster.Options(reservedForOtherClients: 5), _time, metrics: metrics);

        // Act
        await governor.DisposeAsync();
        var gauges = ObserveGauges();

        // Assert
        gauges.ShouldBeEmpty();
    }

    /// <summary>A collector of one instrument of this test's meter factory only: tests in parallel create meters of
    /// the same name.</summary>
    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct =>
        new(MeterFactory, PoolGovernanceMetrics.MeterName, instrument);

    /// <summary>Every gauge observed once: its value and pool tag, or no entry when it reported nothing.</summary>
    private Dictionary<string, (int Value, object? Pool)> ObserveGauges()
    {
        var observed = new Dictionary<string, (int, object?)>();
        foreach (var instrument in (string[])[
            "widgetify.pool.budget", "widgetify.pool.share", "widgetify.pool.connections.held",
            "widgetify.pool.connections.waiting", "widgetify.pool.instances"])
        {
            using var gauge = Collect<int>(instrument);
            gauge.RecordObservableInstruments();
            if (gauge.GetMeasurementSnapshot().SingleOrDefault() is { } measured)
            {
                observed[instrument] = (measured.Value, measured.Tags.GetValueOrDefault(PoolGovernanceMetrics.PoolNameTag));
            }
        }

        return observed;
    }
}
