using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

public class GradientLimitTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void OnCompleted_LatencyAtBaselineWithDemand_GrowsBySmoothedSqrtAllowance()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);

        // Act
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);
        var afterFirst = limit.Value;
        RunWindow(limit, clock, Ms(10), peakInFlight: 102);

        // Assert: gradient 1, so L ← 0.8 L + 0.2 (L + √L) = L + 0.2 √L
        afterFirst.ShouldBe(102.0, 1e-9);
        limit.Value.ShouldBe(102 + (0.2 * Math.Sqrt(102)), 1e-9);
        limit.Limit.ShouldBe(104);
    }

    [Theory]
    [InlineData(40, 93.81990)] // gradient 20/40 = 0.5 (the floor): 0.9 × 102 + 0.2 √102
    [InlineData(25, 99.93990)] // gradient 20/25 = 0.8: 0.8 × 102 + 0.2 (81.6 + √102)
    [InlineData(80, 93.81990)] // gradient 0.25 clamped to 0.5
    [InlineData(15, 104.01990)] // below target: gradient 1, still grows
    public void OnCompleted_LatencyAgainstTarget_MovesLimitByGradient(int latencyMs, double expected)
    {
        // Arrange: baseline 10 ms, so target = max(2 × 10, 10 + 1) = 20 ms; limit 102
        var (limit, clock) = Create(initialLimit: 100);
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);

        // Act
        RunWindow(limit, clock, Ms(latencyMs), peakInFlight: 102);

        // Assert
        limit.Value.ShouldBe(expected, 1e-5);
    }

    [Fact]
    public void OnCompleted_SustainedHighLatencyWhileLimitBound_ShrinksTowardsFixedPointFourAndKeepsBaseline()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);
        var previous = limit.Value;

        // Act: every window limit-bound at 4× the baseline; each must shrink the limit (until the escape hatch)
        for (var i = 0; i < GradientLimit.EscapeHatchWindows; i++)
        {
            RunWindow(limit, clock, Ms(40), peakInFlight: (int)limit.Value);
            limit.Value.ShouldBeLessThan(previous);
            previous = limit.Value;
        }

        // Assert: L ← 0.9 L + 0.2 √L heads for its fixed point L = 4 (6.767 after 50 windows from 102); the baseline
        // never rose towards 40 ms
        limit.Value.ShouldBe(6.76705, 1e-4);
        limit.Baseline!.Value.TotalMilliseconds.ShouldBe(10.0, 0.001);
    }

    [Fact]
    public void OnCompleted_AppLimitedAtBaseline_DoesNotGrow()
    {
        // Arrange: peak 10 < 100 / 2, demand bounds concurrency
        var (limit, clock) = Create(initialLimit: 100);

        // Act
        for (var i = 0; i < 20; i++)
        {
            RunWindow(limit, clock, Ms(10), peakInFlight: 10);
        }

        // Assert
        limit.Value.ShouldBe(100.0);
        limit.WindowsClosed.ShouldBe(20);
    }

    [Fact]
    public void OnCompleted_LimitBoundSlowerWindow_DoesNotRaiseBaseline()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);

        // Act
        RunWindow(limit, clock, Ms(30), peakInFlight: 102);

        // Assert
        limit.Baseline!.Value.TotalMilliseconds.ShouldBe(10.0, 0.001);
        limit.LastWindowLatency!.Value.TotalMilliseconds.ShouldBe(30.0, 0.001);
    }

    [Fact]
    public void OnCompleted_TwoTimeoutsBesideFastSamples_MultipliesByBackoffRatio()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        limit.OnAdmitted(100);
        clock.Advance(Window);
        for (var i = 0; i < 5; i++)
        {
            limit.OnCompleted(AdmissionOutcome.Succeeded, Ms(1), 0).ShouldBeFalse();
        }

        // Act
        var first = limit.OnCompleted(AdmissionOutcome.TimedOut, Ms(2000), 0);
        var second = limit.OnCompleted(AdmissionOutcome.TimedOut, Ms(2000), 0);

        // Assert: closed early (5 < 10 samples) on the second drop; the fast samples neither grew the limit nor
        // taught a baseline
        first.ShouldBeFalse();
        second.ShouldBeTrue();
        limit.Value.ShouldBe(90.0, 1e-9);
        limit.Baseline.ShouldBeNull();
    }

    [Fact]
    public void OnCompleted_DropsBeforeSampleWindowElapsed_WaitForTheWindowThenBackOffOnce()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        for (var i = 0; i < 6; i++)
        {
            limit.OnCompleted(AdmissionOutcome.TimedOut, Ms(2000), 0).ShouldBeFalse();
        }

        clock.Advance(Window);

        // Act: any completion, even one that is no sample, closes the due window
        var closed = limit.OnCompleted(AdmissionOutcome.Ignored, Ms(5), 0);

        // Assert: one congestion event, one backoff
        closed.ShouldBeTrue();
        limit.Value.ShouldBe(90.0, 1e-9);
    }

    [Fact]
    public void OnCompleted_SingleTimeout_IsNotCongestion()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        limit.OnCompleted(AdmissionOutcome.TimedOut, Ms(2000), 0);

        // Act
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);

        // Assert
        limit.Value.ShouldBe(102.0, 1e-9);
    }

    [Fact]
    public void OnCompleted_IgnoredOutcomes_AreNotSamples()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        limit.OnAdmitted(100);
        clock.Advance(Window);

        // Act
        var closed = Enumerable.Range(0, 50).Select(_ => limit.OnCompleted(AdmissionOutcome.Ignored, Ms(1), 0)).ToList();

        // Assert
        closed.ShouldAllBe(c => !c);
        limit.WindowsClosed.ShouldBe(0);
        limit.Baseline.ShouldBeNull();
        limit.Value.ShouldBe(100.0);
    }

    [Fact]
    public void OnCompleted_EnoughSamplesBeforeSampleWindow_ClosesOnlyOnceWindowElapsed()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        for (var i = 0; i < 10; i++)
        {
            limit.OnCompleted(AdmissionOutcome.Succeeded, Ms(10), 0).ShouldBeFalse();
        }

        // Act
        clock.Advance(Ms(99));
        var at99 = limit.OnCompleted(AdmissionOutcome.Succeeded, Ms(20), 0);
        clock.Advance(Ms(1));
        var at100 = limit.OnCompleted(AdmissionOutcome.Succeeded, Ms(20), 0);

        // Assert: the window's measurement is the mean of all 12 samples
        at99.ShouldBeFalse();
        at100.ShouldBeTrue();
        limit.Baseline!.Value.TotalMilliseconds.ShouldBe(((10 * 10) + 20 + 20) / 12.0, 0.001);
    }

    [Fact]
    public void OnCompleted_LowerWindowMean_ReplacesBaselineButOneFastSampleCannotPinIt()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);

        // Act: nine 10 ms samples and one lucky 1 ms sample
        limit.OnAdmitted(100);
        clock.Advance(Window);
        for (var i = 0; i < 9; i++)
        {
            limit.OnCompleted(AdmissionOutcome.Succeeded, Ms(10), 0);
        }

        limit.OnCompleted(AdmissionOutcome.Succeeded, Ms(1), 0).ShouldBeTrue();
        var afterLucky = limit.Baseline!.Value;
        RunWindow(limit, clock, Ms(5), peakInFlight: 100);

        // Assert: 9.1 ms (the window mean), not 1 ms; then a whole faster window replaces it at once
        afterLucky.TotalMilliseconds.ShouldBe(9.1, 0.001);
        limit.Baseline!.Value.TotalMilliseconds.ShouldBe(5.0, 0.001);
    }

    [Fact]
    public void OnCompleted_FiftyPinnedWindows_OpensEscapeHatchForBaseline()
    {
        // Arrange: baseline 10 ms, then limit-bound latency 10× that: the gradient sits at its floor and the limit
        // shrinks towards the fixed point 4 without curing the latency
        var (limit, clock) = Create(initialLimit: 8);
        RunWindow(limit, clock, Ms(10), peakInFlight: 8);
        for (var i = 0; i < 500 && limit.WindowsPinned < GradientLimit.EscapeHatchWindows; i++)
        {
            RunWindow(limit, clock, Ms(100), peakInFlight: (int)limit.Value);
        }

        limit.WindowsPinned.ShouldBe(50);
        limit.Baseline!.Value.TotalMilliseconds.ShouldBe(10.0, 0.001);
        limit.Value.ShouldBeLessThan(4.5);

        // Act
        RunWindow(limit, clock, Ms(100), peakInFlight: 4);
        var afterFirst = limit.Baseline!.Value;
        RunWindow(limit, clock, Ms(100), peakInFlight: 4);

        // Assert: B ← B + 0.1 (100 − B): 19 ms, then 27.1 ms
        afterFirst.TotalMilliseconds.ShouldBe(19.0, 0.001);
        limit.Baseline!.Value.TotalMilliseconds.ShouldBe(27.1, 0.001);
    }

    [Fact]
    public void OnCompleted_PinnedRunBrokenByAnOnTargetWindow_RestartsTheCount()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 8);
        RunWindow(limit, clock, Ms(10), peakInFlight: 8);
        for (var i = 0; i < 30; i++)
        {
            RunWindow(limit, clock, Ms(100), peakInFlight: (int)limit.Value);
        }

        // Act: one window back within target
        RunWindow(limit, clock, Ms(10), peakInFlight: (int)limit.Value);

        // Assert
        limit.WindowsPinned.ShouldBe(0);
    }

    [Fact]
    public void OnCompleted_AppLimitedHighLatency_HoldsTheLimitAndRaisesTheBaseline()
    {
        // Arrange: baseline 10 ms with the limit at 100
        var (limit, clock) = Create(initialLimit: 100);
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);
        var learned = limit.Value;

        // Act: a quiet period (peak 5 < L/2) with latency 5× the baseline, e.g. a GC pause or a noisy neighbour
        RunWindow(limit, clock, Ms(50), peakInFlight: 5);

        // Assert: the limit learned under load is kept; the baseline moves 10% of the way: 10 + 0.1 × 40 = 14 ms
        limit.Value.ShouldBe(learned);
        limit.Baseline!.Value.TotalMilliseconds.ShouldBe(14.0, 0.001);
        limit.WindowsPinned.ShouldBe(0);
    }

    [Fact]
    public void OnCompleted_RepeatedCongestion_StopsAtMinLimit()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 8);

        // Act: 0.9^20 × 8 ≈ 0.97, far below MinLimit 2
        for (var i = 0; i < 20; i++)
        {
            clock.Advance(Window);
            limit.OnCompleted(AdmissionOutcome.TimedOut, Ms(2000), 0);
            limit.OnCompleted(AdmissionOutcome.TimedOut, Ms(2000), 0).ShouldBeTrue();
        }

        // Assert
        limit.Value.ShouldBe(2.0);
        limit.Limit.ShouldBe(2);
    }

    [Fact]
    public void OnCompleted_GrowthPastMaxLimit_IsClamped()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100, maxLimit: 101);

        // Act
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);
        RunWindow(limit, clock, Ms(10), peakInFlight: 101);

        // Assert
        limit.Value.ShouldBe(101.0);
    }

    [Fact]
    public void SetCeiling_BelowLimit_ClampsAtOnceAndCapsGrowth()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);

        // Act
        limit.SetCeiling(50);
        var clamped = limit.Value;
        RunWindow(limit, clock, Ms(10), peakInFlight: 50);

        // Assert
        clamped.ShouldBe(50.0);
        limit.Value.ShouldBe(50.0);
        limit.Limit.ShouldBe(50);
    }

    [Fact]
    public void SetCeiling_BelowMinLimit_CeilingWins()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 8, minLimit: 4);

        // Act
        limit.SetCeiling(1);
        RunWindow(limit, clock, Ms(10), peakInFlight: 1);

        // Assert
        limit.Limit.ShouldBe(1);
        limit.WindowsPinned.ShouldBe(0); // held by the ceiling, not by latency: no escape hatch
    }

    [Fact]
    public void SetCeiling_Zero_FreezesLawAndResumesClamped()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);

        // Act
        limit.SetCeiling(0);
        var whileZero = limit.Limit;
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);
        var frozen = limit.Value;
        limit.SetCeiling(30);

        // Assert
        whileZero.ShouldBe(0);
        frozen.ShouldBe(100.0);
        limit.Limit.ShouldBe(30);
    }

    [Fact]
    public void OnCompleted_HighLatencyWhileCpuBound_ProbesUpwardAsAtTargetAndKeepsBaseline()
    {
        // Arrange: baseline 10 ms, limit 102
        var (limit, clock) = Create(initialLimit: 100);
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);

        // Act: a limit-bound window at 8x the baseline while this process saturates its processors
        RunWindow(limit, clock, Ms(80), peakInFlight: 102, cpuBound: true);

        // Assert: gradient 1 as at target, L ← L + 0.2 √L; the same window without cpuBound shrinks it (test above)
        limit.Value.ShouldBe(102 + (0.2 * Math.Sqrt(102)), 1e-9);
        limit.Baseline.ShouldNotBeNull().TotalMilliseconds.ShouldBe(10, 1e-3);
        limit.WindowsCpuBound.ShouldBe(1);
        limit.LastWindowLatency.ShouldNotBeNull().TotalMilliseconds.ShouldBe(80, 1e-3);
    }

    [Fact]
    public void OnCompleted_CpuBoundButAppLimited_HoldsTheLimit()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);
        var before = limit.Value;

        // Act: CPU-bound, but demand (10 in flight) far below the limit
        RunWindow(limit, clock, Ms(80), peakInFlight: 10, cpuBound: true);

        // Assert: no ratcheting up in a quiet period, CPU-bound or not
        limit.Value.ShouldBe(before);
    }

    [Fact]
    public void OnCompleted_TimeoutsWhileCpuBound_StillBackOff()
    {
        // Arrange
        var (limit, clock) = Create(initialLimit: 100);
        RunWindow(limit, clock, Ms(10), peakInFlight: 100);
        var before = limit.Value;

        // Act: a window with two timeouts, closing while CPU-bound
        clock.Advance(Window);
        limit.OnCompleted(AdmissionOutcome.TimedOut, Ms(2000), 0, cpuBound: true).ShouldBeFalse();
        limit.OnCompleted(AdmissionOutcome.TimedOut, Ms(2000), 0, cpuBound: true).ShouldBeTrue();

        // Assert: timeouts may be the database's; the backoff stays
        limit.Value.ShouldBe(before * 0.9, 1e-9);
    }

    private static (GradientLimit Limit, FakeTimeProvider Clock) Create(int initialLimit, int minLimit = 2, int maxLimit = 200)
    {
        var clock = new FakeTimeProvider();
        var options = new AdmissionOptions { InitialLimit = initialLimit, MinLimit = minLimit, MaxLimit = maxLimit };
        return (new GradientLimit(options, clock), clock);
    }

    /// <summary>One full window: the peak, SampleWindow of time, then MinWindowSamples samples; the last closes it.</summary>
    private static void RunWindow(GradientLimit limit, FakeTimeProvider clock, TimeSpan latency, int peakInFlight, bool cpuBound = false)
    {
        limit.OnAdmitted(peakInFlight);
        clock.Advance(Window);
        for (var i = 0; i < 9; i++)
        {
            limit.OnCompleted(AdmissionOutcome.Succeeded, latency, 0, cpuBound).ShouldBeFalse();
        }

        limit.OnCompleted(AdmissionOutcome.Succeeded, latency, 0, cpuBound).ShouldBeTrue();
    }

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}
