using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.CpuOverload;

namespace Widgetify.Overload.Tests.CpuOverload;

/// <summary>The controller hands the probe's judgement to the limit: a window of high latency while this process saturates
/// its processors counts as at target.</summary>
public sealed class AdmissionControllerCpuTests
{
    // Probes a second apart: none ticks during a test, so the wait and the process's share are what the test observes.
    private static readonly AdmissionOptions Options = new()
    {
        InitialLimit = 20, MinLimit = 20, MaxLimit = 200, MinWindowSamples = 20, CpuLagProbeInterval = TimeSpan.FromSeconds(1),
    };

    private readonly FakeTimeProvider _clock = new();
    private readonly Queue<Action> _queued = new();

    [Theory]
    [InlineData(true, 21)] // 20 → 20 + 0.2 √20 ≈ 20.9 → + 0.2 √20.9 ≈ 21.8
    [InlineData(false, 20)] // the same latency read as the database's: the gradient floor, then MinLimit
    public void Release_SlowWindowWhileCpuBound_CountsAsAtTarget(bool cpuBound, int expectedLimit)
    {
        // Arrange: a probe whose process uses all of its one processor, wait 0 for now
        using var probe = new ThreadPoolLagProbe(Options, _clock, _queued.Enqueue, () => TimeSpan.Zero, processorCount: 1);
        probe.ObserveProcessCpu(1.0);
        using var controller = new AdmissionController(Options, _clock, new Random(1), metrics: null, probe);
        RunWindow(controller, idleFirst: TimeSpan.FromMilliseconds(90), latency: TimeSpan.FromMilliseconds(10)); // baseline 10 ms

        // Act: the processors saturate (or not), then a window of 80 ms requests
        if (cpuBound)
        {
            for (var i = 0; i < 200; i++)
            {
                probe.Observe(TimeSpan.FromMilliseconds(100));
            }
        }

        RunWindow(controller, idleFirst: TimeSpan.FromMilliseconds(20), latency: TimeSpan.FromMilliseconds(80));

        // Assert
        var statistics = controller.GetStatistics();
        statistics.Limit.ShouldBe(expectedLimit);
        statistics.WindowsCpuBound.ShouldBe(cpuBound ? 1 : 0);
    }

    /// <summary>20 requests in flight at once, each taking <paramref name="latency"/>: exactly one window (MinWindowSamples 20).</summary>
    private void RunWindow(AdmissionController controller, TimeSpan idleFirst, TimeSpan latency)
    {
        _clock.Advance(idleFirst);
        var leases = new List<AdmissionLease>();
        for (var i = 0; i < 20; i++)
        {
            controller.TryAcquire(RequestPriority.Write, out var lease).ShouldBeTrue();
            leases.Add(lease);
        }

        _clock.Advance(latency);
        foreach (var lease in leases)
        {
            lease.Complete(AdmissionOutcome.Succeeded);
        }
    }
}
