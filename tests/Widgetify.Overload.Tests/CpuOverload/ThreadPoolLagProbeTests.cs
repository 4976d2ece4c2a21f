using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.CpuOverload;

namespace Widgetify.Overload.Tests.CpuOverload;

/// <summary>The probe with a fake clock and a queue the test drains itself: "the work item waited 60 ms" is a state the
/// test builds by advancing the clock between the tick and running the item.</summary>
public sealed class ThreadPoolLagProbeTests
{
    private static readonly AdmissionOptions Options = new()
    {
        CpuLagTarget = TimeSpan.FromMilliseconds(20),
        CpuLagProbeInterval = TimeSpan.FromMilliseconds(10),
    };

    private readonly FakeTimeProvider _clock = new();
    private readonly Queue<Action> _queued = new();

    [Fact]
    public void Tick_ProbeRunsAfterItsWait_SmoothsTheWaitIntoLag()
    {
        // Arrange
        using var probe = new ThreadPoolLagProbe(Options, _clock, _queued.Enqueue);

        // Act: a tick queues a probe, which runs 40 ms later
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        var work = _queued.Dequeue();
        _clock.Advance(TimeSpan.FromMilliseconds(40)); // ticks meanwhile find the probe still out: nothing more queued
        _queued.ShouldBeEmpty("one probe out at a time");
        work();

        // Assert: one sample of 40 ms at weight 0.25 from 0
        probe.Lag.TotalMilliseconds.ShouldBe(10, 1e-6);
    }

    [Fact]
    public void Tick_ProbeRunsAtOnce_LagDecaysTowardsZero()
    {
        // Arrange: a smoothed lag of 100 ms
        using var probe = new ThreadPoolLagProbe(Options, _clock, _queued.Enqueue);
        for (var i = 0; i < 40; i++)
        {
            probe.Observe(TimeSpan.FromMilliseconds(100));
        }

        // Act: ten probes that run as soon as they are queued
        for (var i = 0; i < 10; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            _queued.Dequeue()();
        }

        // Assert: 100 × 0.75^10 ≈ 5.6 ms (from ~100), below half the target: no longer CPU-bound, nothing shed
        probe.Lag.TotalMilliseconds.ShouldBe(100 * Math.Pow(0.75, 10), 0.5);
        probe.IsCpuBound.ShouldBeFalse();
        probe.ShedFraction(RequestPriority.Read).ShouldBe(0);
    }

    [Theory]
    [InlineData(5, 0, 0, false)] // well below the target
    [InlineData(15, 0, 0, true)] // above half the target: the limit holds, nothing shed yet
    [InlineData(30, 0.5, 0, true)] // reads: (30 − 20) / 20
    [InlineData(60, 0.95, 0.5, true)] // reads capped; writes: (60 − 40) / 40
    [InlineData(500, 0.95, 0.95, true)] // never everything
    public void ShedFraction_SteadyLag_FollowsTheLaw(double lagMs, double reads, double writes, bool cpuBound)
    {
        // Arrange
        using var probe = new ThreadPoolLagProbe(Options, _clock, _queued.Enqueue);

        // Act: enough equal samples for the smoothed lag to reach the value
        for (var i = 0; i < 200; i++)
        {
            probe.Observe(TimeSpan.FromMilliseconds(lagMs));
        }

        // Assert
        probe.ShedFraction(RequestPriority.Read).ShouldBe(reads, 1e-6);
        probe.ShedFraction(RequestPriority.Background).ShouldBe(reads, 1e-6);
        probe.ShedFraction(RequestPriority.Write).ShouldBe(writes, 1e-6);
        probe.ShedFraction(RequestPriority.Critical).ShouldBe(writes, 1e-6);
        probe.IsCpuBound.ShouldBe(cpuBound);
    }

    [Fact]
    public void Dispose_StopsTheTicks()
    {
        // Arrange
        var probe = new ThreadPoolLagProbe(Options, _clock, _queued.Enqueue);

        // Act
        probe.Dispose();
        _clock.Advance(TimeSpan.FromMilliseconds(100));

        // Assert
        _queued.ShouldBeEmpty();
    }
}
