using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Tests.Controller;

[Collection(ScalingDatabaseGroup.Name)]
public sealed class ScalingMetricsTests(ScalingDatabase database) : IAsyncLifetime
{
    private ScratchDatabase scratch = null!;

    public async Task InitializeAsync() => scratch = await database.CreateScratchAsync();

    public async Task DisposeAsync() => await scratch.DisposeAsync();

    [Fact]
    public async Task Replicas_FromTheStateSource_EveryStateWithZerosIncluded()
    {
        // Arrange
        var states = new FixedStates(new() { [ReplicaState.Ready] = 2, [ReplicaState.Lagging] = 1 });
        await using var harness = new ControllerHarness(scratch, "a", new ScalingOptions { MaxReplicas = 3 }, new TimerCountingFakeTimeProvider(), replicaStates: states);
        using var replicas = new MetricCollector<int>(harness.MeterFactory, ScalingMetrics.MeterName, "widgetify.replicas");

        // Act
        replicas.RecordObservableInstruments();

        // Assert
        replicas.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["state"]!, m => m.Value).ShouldBe(new Dictionary<string, int>
        {
            ["ready"] = 2, ["lagging"] = 1, ["draining"] = 0, ["starting"] = 0, ["down"] = 0,
        });
    }

    [Fact]
    public async Task Replicas_NoStateSource_NothingReported()
    {
        // Arrange
        await using var harness = new ControllerHarness(scratch, "a", new ScalingOptions { MaxReplicas = 3 }, new TimerCountingFakeTimeProvider());
        using var replicas = new MetricCollector<int>(harness.MeterFactory, ScalingMetrics.MeterName, "widgetify.replicas");

        // Act
        replicas.RecordObservableInstruments();

        // Assert
        replicas.GetMeasurementSnapshot().ShouldBeEmpty();
    }

    [Fact]
    public async Task SaturationAndLeader_AfterATick_ReportTheLatestSecondAndTheLease()
    {
        // Arrange
        var time = new TimerCountingFakeTimeProvider();
        await using var harness = new ControllerHarness(scratch, "a", new ScalingOptions { MaxReplicas = 3 }, time);
        using var saturation = new MetricCollector<double>(harness.MeterFactory, ScalingMetrics.MeterName, "widgetify.scaling.saturation");
        using var leader = new MetricCollector<int>(harness.MeterFactory, ScalingMetrics.MeterName, "widgetify.scaling.leader");

        // Act
        time.Advance(TimeSpan.FromSeconds(1));
        await harness.TickAsync(saturation: 1.25, liveReplicas: 1);
        saturation.RecordObservableInstruments();
        leader.RecordObservableInstruments();

        // Assert
        saturation.LastMeasurement.ShouldNotBeNull().Value.ShouldBe(1.25, tolerance: 1e-9);
        leader.LastMeasurement.ShouldNotBeNull().Value.ShouldBe(1);
    }

    private sealed class FixedStates(Dictionary<ReplicaState, int> counts) : IReplicaStateSource
    {
        public IReadOnlyDictionary<ReplicaState, int> CountByState() => counts;
    }
}
