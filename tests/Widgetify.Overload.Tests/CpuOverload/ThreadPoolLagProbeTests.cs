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
    private TimeSpan _cpuUsed;

    private ThreadPoolLagProbe Create() => new(Options, _clock, _queued.Enqueue, () => _cpuUsed, processorCount: 2);

    [Fact]
    public void Tick_ProbeRunsAfterItsWait_SmoothsTheWaitIntoLag()
    {
        // Arrange
        using var probe = Create();

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
        using var probe = Create();
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
        // Arrange: the process itself uses all its processors
        using var probe = Create();
        probe.ObserveProcessCpu(1.0);

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
    public void ShedFraction_ProcessorsTakenByOthers_ShedsNothingAndIsNotCpuBound()
    {
        // Arrange: a long wait for a thread while this process uses 0.4 of one of its 2 processors (others take the rest)
        using var probe = Create();
        for (var i = 0; i < 10; i++)
        {
            _cpuUsed += TimeSpan.FromMilliseconds(4); // 4 ms of processor time per 10 ms tick: 0.2 of 2 processors
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            _queued.Dequeue()();
        }

        for (var i = 0; i < 200; i++)
        {
            probe.Observe(TimeSpan.FromMilliseconds(500));
        }

        // Assert: refusing our requests would free nothing, and the latency may be the database's (PostgreSQL on the same
        // machine): the limit must stay free to fall
        probe.ProcessCpuShare.ShouldBe(0.2, 1e-6);
        probe.ShedFraction(RequestPriority.Read).ShouldBe(0);
        probe.IsCpuBound.ShouldBeFalse();
    }

    [Fact]
    public void Tick_ProcessBusy_MeasuresItsShareOverTheSampleInterval()
    {
        // Arrange
        using var probe = Create();

        // Act: 180 ms of processor time over 100 ms of 2 processors
        for (var i = 0; i < 10; i++)
        {
            _cpuUsed += TimeSpan.FromMilliseconds(18);
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            _queued.Dequeue()();
        }

        // Assert
        probe.ProcessCpuShare.ShouldBe(0.9, 1e-6);
    }

    [Fact]
    public void Tick_ProcessQuiet_ProbesOncePerSampleInterval()
    {
        // Arrange: a process that uses 0.1 of its 2 processors (an idle instance)
        using var probe = Create();
        TickFor(TimeSpan.FromMilliseconds(100), cpuPerTickMs: 2);

        // Act: another second, as quiet
        var probes = TickFor(TimeSpan.FromSeconds(1), cpuPerTickMs: 2);

        // Assert: one probe per 100 ms instead of one per 10 ms, and the share still measured
        probe.TickInterval.ShouldBe(ThreadPoolLagProbe.CpuSampleInterval);
        probes.ShouldBe(10);
        probe.ProcessCpuShare.ShouldBe(0.1, 1e-6);
    }

    [Fact]
    public void Tick_ProcessBusyAfterQuiet_ProbesAtTheConfiguredIntervalAgain()
    {
        // Arrange: quiet, ticking once per 100 ms
        using var probe = Create();
        TickFor(TimeSpan.FromMilliseconds(200), cpuPerTickMs: 0);
        probe.TickInterval.ShouldBe(ThreadPoolLagProbe.CpuSampleInterval);

        // Act: 60 ms of processor time in 100 ms (0.3 of 2 processors, above the quiet share), then 100 ms more
        _cpuUsed += TimeSpan.FromMilliseconds(60);
        TickFor(TimeSpan.FromMilliseconds(100), cpuPerTickMs: 0);
        var probes = TickFor(TimeSpan.FromMilliseconds(100), cpuPerTickMs: 6);

        // Assert: back to a probe per 10 ms from the first busy sample on
        probe.ProcessCpuShare.ShouldBe(0.3, 1e-6);
        probe.TickInterval.ShouldBe(Options.CpuLagProbeInterval);
        probes.ShouldBe(10);
    }

    [Fact]
    public void Lag_ProbeStillWaiting_IsAtLeastItsWaitSoFar()
    {
        // Arrange: a quiet history, then a probe that does not come back
        using var probe = Create();
        probe.ObserveProcessCpu(1.0);
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        _queued.Count.ShouldBe(1);

        // Act: 60 ms pass with the probe still queued
        _clock.Advance(TimeSpan.FromMilliseconds(60));

        // Assert: the backlog is seen before the probe reports it
        probe.Lag.TotalMilliseconds.ShouldBe(60, 1e-6);
        probe.ShedFraction(RequestPriority.Read).ShouldBe(ThreadPoolLagProbe.MaxShedFraction);
        probe.IsCpuBound.ShouldBeTrue();
    }

    /// <summary>Advances the clock by 1 ms steps for <paramref name="span"/>, running each probe as soon as it is queued;
    /// the process uses <paramref name="cpuPerTickMs"/> of processor time per 10 ms. Returns the probes that ran.</summary>
    private int TickFor(TimeSpan span, double cpuPerTickMs)
    {
        var probes = 0;
        for (var elapsed = TimeSpan.Zero; elapsed < span; elapsed += TimeSpan.FromMilliseconds(1))
        {
            _cpuUsed += TimeSpan.FromMilliseconds(cpuPerTickMs / 10);
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            while (_queued.TryDequeue(out var work))
            {
                work();
                probes++;
            }
        }

        return probes;
    }

    [Fact]
    public void Dispose_StopsTheTicks()
    {
        // Arrange
        var probe = Create();

        // Act
        probe.Dispose();
        _clock.Advance(TimeSpan.FromMilliseconds(100));

        // Assert
        _queued.ShouldBeEmpty();
    }
}
