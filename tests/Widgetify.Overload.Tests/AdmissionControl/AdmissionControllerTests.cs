using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

public sealed class AdmissionControllerTests : IDisposable
{
    private readonly TimerCountingFakeTimeProvider _clock = new();
    private readonly List<AdmissionController> _controllers = [];

    public void Dispose()
    {
        foreach (var controller in _controllers)
        {
            controller.Dispose();
        }
    }

    [Fact]
    public void TryAcquire_WritesUpToLimit_AdmitsThenRefusesWithoutCountingShed()
    {
        // Arrange
        var controller = Create();

        // Act
        var admitted = Enumerable.Range(0, 9).Select(_ => TryAdmit(controller, RequestPriority.Write)).ToList();

        // Assert
        admitted.ShouldBe([true, true, true, true, true, true, true, true, false]);
        var statistics = controller.GetStatistics();
        statistics.InFlight.ShouldBe(8);
        statistics.TotalAdmitted.ShouldBe(8);
        statistics.TotalShed.ShouldBe(0);
    }

    [Fact]
    public void TryAcquire_ReadsAtReadShare_RefusesReadsWhileWritesStillGetThrough()
    {
        // Arrange: floor(8 × 0.9) = 7 reads
        var controller = Create();
        var reads = Enumerable.Range(0, 7).Select(_ => TryAdmit(controller, RequestPriority.Read)).ToList();

        // Act
        var eighthRead = controller.TryAcquire(RequestPriority.Read, out _);
        var write = controller.TryAcquire(RequestPriority.Write, out _);
        var secondWrite = controller.TryAcquire(RequestPriority.Write, out _);

        // Assert
        reads.ShouldAllBe(r => r);
        eighthRead.ShouldBeFalse();
        write.ShouldBeTrue();
        secondWrite.ShouldBeFalse();
    }

    [Fact]
    public void TryAcquire_BackgroundAtBackgroundShare_Refuses()
    {
        // Arrange: floor(8 × 0.5) = 4
        var controller = Create();

        // Act
        var admitted = Enumerable.Range(0, 5).Select(_ => TryAdmit(controller, RequestPriority.Background)).ToList();

        // Assert
        admitted.ShouldBe([true, true, true, true, false]);
    }

    [Fact]
    public void TryAcquire_CriticalWhileWritesSaturateLimit_GetsExactlyOneExtraSlot()
    {
        // Arrange
        var controller = Create();
        Fill(controller, RequestPriority.Write, 8);

        // Act
        var first = controller.TryAcquire(RequestPriority.Critical, out _);
        var second = controller.TryAcquire(RequestPriority.Critical, out _);

        // Assert
        first.ShouldBeTrue();
        second.ShouldBeFalse();
        controller.GetStatistics().InFlight.ShouldBe(9);
    }

    [Fact]
    public void TryAcquire_CriticalWhenLimitEqualsCeiling_GetsNoExtraSlot()
    {
        // Arrange
        var controller = Create();
        controller.SetCeiling(8);
        Fill(controller, RequestPriority.Write, 8);

        // Act
        var critical = controller.TryAcquire(RequestPriority.Critical, out _);

        // Assert
        critical.ShouldBeFalse();
    }

    [Fact]
    public void TryAcquire_SameOrHigherPriorityQueued_DoesNotOvertake()
    {
        // Arrange: a read waits (reads at share), a slot for writes is free
        var controller = Create();
        Fill(controller, RequestPriority.Read, 7);
        var waiting = controller.AcquireAsync(RequestPriority.Read, CancellationToken.None).AsTask();

        // Act
        var read = controller.TryAcquire(RequestPriority.Read, out _);
        var write = controller.TryAcquire(RequestPriority.Write, out _);

        // Assert
        read.ShouldBeFalse();
        write.ShouldBeTrue();
        waiting.IsCompleted.ShouldBeFalse();
    }

    [Fact]
    public async Task AcquireAsync_SlotFrees_GrantsWaiterAndDisposesItsTimer()
    {
        // Arrange
        var controller = Create();
        var leases = Fill(controller, RequestPriority.Write, 8);
        var pending = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        var queued = controller.GetStatistics();

        // Act
        leases[0].Dispose();

        // Assert
        queued.Queued.ShouldBe(1);
        pending.IsCompleted.ShouldBeTrue();
        var result = await pending;
        result.IsAdmitted.ShouldBeTrue();
        result.Lease!.Priority.ShouldBe(RequestPriority.Write);
        result.Reason.ShouldBe(RejectionReason.None);
        var statistics = controller.GetStatistics();
        statistics.InFlight.ShouldBe(8);
        statistics.Queued.ShouldBe(0);
        _clock.ArmedTimers.ShouldBe(0);
    }

    [Fact]
    public async Task AcquireAsync_NoSlotWithinQueueInterval_TimesOutAtExactlyInterval()
    {
        // Arrange
        var controller = Create();
        Fill(controller, RequestPriority.Write, 8);
        var pending = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();

        // Act
        _clock.Advance(TimeSpan.FromMilliseconds(99));
        var before = pending.IsCompleted;
        _clock.Advance(TimeSpan.FromMilliseconds(1));

        // Assert
        before.ShouldBeFalse();
        pending.IsCompleted.ShouldBeTrue();
        var result = await pending;
        result.Reason.ShouldBe(RejectionReason.QueueTimeout);
        result.RetryAfter.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        var statistics = controller.GetStatistics();
        statistics.TotalQueueTimeouts.ShouldBe(1);
        statistics.Queued.ShouldBe(0);
    }

    [Fact]
    public async Task AcquireAsync_StandingQueue_ServesNewestFirstAndWaitsOnlyTargetDelay()
    {
        // Arrange: a (t=0) and b (t=50 ms) arrive while the queue is young: 100 ms timeouts, FIFO
        var controller = Create();
        var leases = Fill(controller, RequestPriority.Write, 8);
        var a = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        var b = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(50));

        // a timed out at 100 ms, but b kept the queue non-empty since t=0: a standing queue
        var c = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var d = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(1));

        // Act
        leases[0].Dispose(); // t = 102 ms
        var dFirst = d.IsCompleted && !c.IsCompleted && !b.IsCompleted;
        _clock.Advance(TimeSpan.FromMilliseconds(2)); // t = 104 ms: c's 5 ms not yet up
        var cAt104 = c.IsCompleted;
        _clock.Advance(TimeSpan.FromMilliseconds(1)); // t = 105 ms

        // Assert
        (await a).Reason.ShouldBe(RejectionReason.QueueTimeout);
        dFirst.ShouldBeTrue();
        (await d).IsAdmitted.ShouldBeTrue();
        cAt104.ShouldBeFalse();
        (await c).Reason.ShouldBe(RejectionReason.QueueTimeout);
        b.IsCompleted.ShouldBeFalse(); // its own 100 ms still run to t = 150 ms
        _clock.Advance(TimeSpan.FromMilliseconds(45));
        (await b).Reason.ShouldBe(RejectionReason.QueueTimeout);
    }

    [Fact]
    public async Task AcquireAsync_QueueDrainedEmpty_ReturnsToFifoAndQueueInterval()
    {
        // Arrange: a standing queue forms, then drains completely
        var controller = Create();
        var leases = Fill(controller, RequestPriority.Write, 8);
        var first = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(99));
        var second = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        leases[0].Dispose(); // t = 100 ms: the queue drains empty
        (await first).IsAdmitted.ShouldBeFalse(); // timed out at 100 ms
        (await second).IsAdmitted.ShouldBeTrue();

        // Act
        var x = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        var y = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        leases[1].Dispose(); // t = 120 ms

        // Assert: FIFO, and y (t = 110 ms) may wait its full 100 ms, to t = 210 ms
        (await x).IsAdmitted.ShouldBeTrue();
        y.IsCompleted.ShouldBeFalse();
        _clock.Advance(TimeSpan.FromMilliseconds(89));
        y.IsCompleted.ShouldBeFalse();
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        (await y).Reason.ShouldBe(RejectionReason.QueueTimeout);
    }

    [Fact]
    public async Task AcquireAsync_SlotsFree_GoToHighestPriorityWithinItsAllowance()
    {
        // Arrange: 8 writes in flight; background, read and write wait, in that order of arrival
        var controller = Create();
        var leases = Fill(controller, RequestPriority.Write, 8);
        var background = controller.AcquireAsync(RequestPriority.Background, CancellationToken.None).AsTask();
        var read = controller.AcquireAsync(RequestPriority.Read, CancellationToken.None).AsTask();
        var write = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();

        // Act & Assert: write needs < 8 in flight, read < 7, background < 4
        leases[0].Dispose();
        (write.IsCompleted, read.IsCompleted, background.IsCompleted).ShouldBe((true, false, false));
        leases[1].Dispose(); // 7 in flight: not below the read allowance of 7
        read.IsCompleted.ShouldBeFalse();
        leases[2].Dispose(); // 6 in flight
        read.IsCompleted.ShouldBeTrue();
        leases[3].Dispose();
        leases[4].Dispose();
        leases[5].Dispose(); // 4 in flight: not below the background allowance of 4
        background.IsCompleted.ShouldBeFalse();
        leases[6].Dispose();
        (await background).IsAdmitted.ShouldBeTrue();
        controller.GetStatistics().InFlight.ShouldBe(4);
    }

    [Fact]
    public async Task AcquireAsync_FullQueue_EvictsNewestLowestPriorityOrRefusesNewcomer()
    {
        // Arrange
        var controller = Create(o => o.QueueCapacity = 2);
        Fill(controller, RequestPriority.Write, 8);
        var background1 = controller.AcquireAsync(RequestPriority.Background, CancellationToken.None).AsTask();
        var background2 = controller.AcquireAsync(RequestPriority.Background, CancellationToken.None).AsTask();

        // Act
        var read1 = controller.AcquireAsync(RequestPriority.Read, CancellationToken.None).AsTask();
        var background3 = await controller.AcquireAsync(RequestPriority.Background, CancellationToken.None);
        var read2 = controller.AcquireAsync(RequestPriority.Read, CancellationToken.None).AsTask();
        var read3 = await controller.AcquireAsync(RequestPriority.Read, CancellationToken.None);

        // Assert
        (await background2).Reason.ShouldBe(RejectionReason.Evicted);
        background3.Reason.ShouldBe(RejectionReason.QueueFull);
        (await background1).Reason.ShouldBe(RejectionReason.Evicted);
        read3.Reason.ShouldBe(RejectionReason.QueueFull);
        read1.IsCompleted.ShouldBeFalse();
        read2.IsCompleted.ShouldBeFalse();
        var statistics = controller.GetStatistics();
        statistics.TotalEvicted.ShouldBe(2);
        statistics.TotalQueueFull.ShouldBe(2);
        statistics.GetQueued(RequestPriority.Read).ShouldBe(2);
        statistics.GetQueued(RequestPriority.Background).ShouldBe(0);
    }

    [Fact]
    public async Task SetCeiling_Zero_RejectsQueuedAndNewRequestsWithNoCapacity()
    {
        // Arrange
        var controller = Create();
        Fill(controller, RequestPriority.Write, 8);
        var queued = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();

        // Act
        controller.SetCeiling(0);
        var fresh = await controller.AcquireAsync(RequestPriority.Critical, CancellationToken.None);
        var tryAcquired = controller.TryAcquire(RequestPriority.Critical, out _);

        // Assert
        (await queued).Reason.ShouldBe(RejectionReason.NoCapacity);
        fresh.Reason.ShouldBe(RejectionReason.NoCapacity);
        fresh.RetryAfter.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        tryAcquired.ShouldBeFalse();
        controller.Limit.ShouldBe(0);
        var statistics = controller.GetStatistics();
        statistics.TotalNoCapacity.ShouldBe(2);
        statistics.Ceiling.ShouldBe(0);
    }

    [Fact]
    public void SetCeiling_BelowLimitAndBelowMinLimit_CapsAdmissions()
    {
        // Arrange
        var controller = Create();

        // Act
        controller.SetCeiling(3);
        var atThree = Enumerable.Range(0, 4).Select(_ => TryAdmit(controller, RequestPriority.Write)).ToList();
        controller.SetCeiling(1);

        // Assert: the ceiling (1) wins over MinLimit (2)
        atThree.ShouldBe([true, true, true, false]);
        controller.Limit.ShouldBe(1);
    }

    [Fact]
    public async Task SetCeiling_Raised_GrantsWaiterThatNowFits()
    {
        // Arrange: limit 8 = ceiling 8, so Critical has no extra slot and queues
        var controller = Create();
        controller.SetCeiling(8);
        Fill(controller, RequestPriority.Write, 8);
        var critical = controller.AcquireAsync(RequestPriority.Critical, CancellationToken.None).AsTask();
        var queuedBefore = critical.IsCompleted;

        // Act
        controller.SetCeiling(9);

        // Assert
        queuedBefore.ShouldBeFalse();
        (await critical).IsAdmitted.ShouldBeTrue();
        controller.GetStatistics().InFlight.ShouldBe(9);
    }

    [Fact]
    public async Task AcquireAsync_TokenCancelledWhileQueued_ReturnsDeadlineWithoutLeakingOrCountingShed()
    {
        // Arrange
        var controller = Create();
        var leases = Fill(controller, RequestPriority.Write, 8);
        using var cts = new CancellationTokenSource();
        var pending = controller.AcquireAsync(RequestPriority.Write, cts.Token).AsTask();

        // Act
        await cts.CancelAsync();

        // Assert
        var result = await pending;
        result.Reason.ShouldBe(RejectionReason.Deadline);
        result.IsAdmitted.ShouldBeFalse();
        _clock.ArmedTimers.ShouldBe(0);
        var statistics = controller.GetStatistics();
        statistics.Queued.ShouldBe(0);
        statistics.InFlight.ShouldBe(8);
        statistics.TotalCancelledWhileQueued.ShouldBe(1);
        statistics.TotalShed.ShouldBe(0);
        leases[0].Dispose();
        controller.TryAcquire(RequestPriority.Write, out _).ShouldBeTrue();
        controller.GetStatistics().InFlight.ShouldBe(8);
    }

    [Fact]
    public async Task AcquireAsync_DeadlineTokenOnFakeClock_ReturnsDeadlineWhenItFires()
    {
        // Arrange
        var controller = Create();
        Fill(controller, RequestPriority.Write, 8);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(30), _clock);
        var pending = controller.AcquireAsync(RequestPriority.Write, deadline.Token).AsTask();

        // Act
        _clock.Advance(TimeSpan.FromMilliseconds(30));

        // Assert
        (await pending).Reason.ShouldBe(RejectionReason.Deadline);
        controller.GetStatistics().Queued.ShouldBe(0);
    }

    [Fact]
    public async Task AcquireAsync_TokenAlreadyCancelledAndNoSlot_ReturnsDeadlineWithoutQueueing()
    {
        // Arrange
        var controller = Create();
        Fill(controller, RequestPriority.Write, 8);

        // Act
        var result = await controller.AcquireAsync(RequestPriority.Write, new CancellationToken(canceled: true));

        // Assert
        result.Reason.ShouldBe(RejectionReason.Deadline);
        controller.GetStatistics().Queued.ShouldBe(0);
        _clock.ArmedTimers.ShouldBe(0);
    }

    [Fact]
    public void ReportDeadlineExceeded_AfterDeadlineResult_CountsAsShed()
    {
        // Arrange
        var controller = Create();

        // Act
        controller.ReportDeadlineExceeded(RequestPriority.Read);

        // Assert
        var statistics = controller.GetStatistics();
        statistics.TotalDeadlineExceeded.ShouldBe(1);
        statistics.TotalShed.ShouldBe(1);
    }

    [Fact]
    public async Task Release_WaiterPastTimeoutWhoseTimerHasNotRun_TimesItOutLazily()
    {
        // Arrange: timers never fire, so only the dequeue-time check can expire the waiter
        var clock = new SilentTimersTimeProvider(_clock);
        var controller = Create(timeProvider: clock);
        var leases = Fill(controller, RequestPriority.Write, 8);
        var pending = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(100));

        // Act
        leases[0].Dispose();

        // Assert
        (await pending).Reason.ShouldBe(RejectionReason.QueueTimeout);
        var statistics = controller.GetStatistics();
        statistics.InFlight.ShouldBe(7);
        statistics.TotalQueueTimeouts.ShouldBe(1);
    }

    [Fact]
    public void Lease_DisposedTwiceOrCompletedThenDisposed_ReleasesOnce()
    {
        // Arrange
        var controller = Create();
        var leases = Fill(controller, RequestPriority.Write, 3);

        // Act
        leases[0].Dispose();
        leases[0].Dispose();
        leases[1].Complete(AdmissionOutcome.Succeeded);
        leases[1].Dispose();
        leases[1].Complete(AdmissionOutcome.TimedOut);

        // Assert
        controller.GetStatistics().InFlight.ShouldBe(1);
    }

    [Fact]
    public async Task Lease_CompletedSucceeded_SamplesTimeFromGrantNotFromEnqueue()
    {
        // Arrange: one sample closes a window once 100 ms have passed
        var controller = Create(o => o.MinWindowSamples = 1);
        var leases = Fill(controller, RequestPriority.Write, 8);
        var pending = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        leases[0].Dispose(); // Ignored: no sample; grants the waiter at t = 50 ms
        var granted = (await pending).Lease!;
        _clock.Advance(TimeSpan.FromMilliseconds(60));

        // Act
        granted.Complete(AdmissionOutcome.Succeeded);

        // Assert: 60 ms, not the 110 ms since it arrived
        controller.GetStatistics().BaselineLatency!.Value.TotalMilliseconds.ShouldBe(60.0, 0.001);
    }

    [Fact]
    public void Lease_DisposedWithoutComplete_IsNoLatencySample()
    {
        // Arrange
        var controller = Create();

        // Act
        for (var i = 0; i < 20; i++)
        {
            controller.TryAcquire(RequestPriority.Read, out var lease).ShouldBeTrue();
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            lease.Dispose();
        }

        // Assert
        var statistics = controller.GetStatistics();
        statistics.BaselineLatency.ShouldBeNull();
        statistics.LastWindowLatency.ShouldBeNull();
    }

    [Fact]
    public void Lease_SequentialSucceededCompletions_LearnBaselineWithoutGrowingAppLimitedLimit()
    {
        // Arrange
        var controller = Create();

        // Act: ten 10 ms requests one at a time close the first window at t = 100 ms
        for (var i = 0; i < 10; i++)
        {
            controller.TryAcquire(RequestPriority.Read, out var lease).ShouldBeTrue();
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            lease.Complete(AdmissionOutcome.Succeeded);
        }

        // Assert: peak 1 < 8 / 2 is app-limited, so the limit stays 8
        var statistics = controller.GetStatistics();
        statistics.BaselineLatency!.Value.TotalMilliseconds.ShouldBe(10.0, 0.001);
        statistics.Limit.ShouldBe(8);
    }

    [Fact]
    public void Lease_TwoTimeoutsInWindow_ShrinksLimitByBackoffRatio()
    {
        // Arrange
        var controller = Create();
        var leases = Fill(controller, RequestPriority.Write, 2);
        _clock.Advance(TimeSpan.FromMilliseconds(100));

        // Act
        leases[0].Complete(AdmissionOutcome.TimedOut);
        leases[1].Complete(AdmissionOutcome.TimedOut);

        // Assert: floor(8 × 0.9) = 7
        controller.Limit.ShouldBe(7);
    }

    [Fact]
    public async Task AcquireAsync_RejectionsWithSeededRandom_CarryVaryingRetryAfterWithinOneToThreeSeconds()
    {
        // Arrange
        var controller = Create(o => o.QueueCapacity = 0);
        Fill(controller, RequestPriority.Write, 8);

        // Act
        var values = new List<TimeSpan>();
        for (var i = 0; i < 60; i++)
        {
            var result = await controller.AcquireAsync(RequestPriority.Write, CancellationToken.None);
            result.Reason.ShouldBe(RejectionReason.QueueFull);
            values.Add(result.RetryAfter);
        }

        // Assert
        values.Distinct().Order().ShouldBe([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)]);
    }

    [Fact]
    public void GetStatistics_MixedTraffic_CountsAddUp()
    {
        // Arrange
        var controller = Create(o => o.QueueCapacity = 3);
        var leases = Fill(controller, RequestPriority.Write, 8);
        var read = controller.AcquireAsync(RequestPriority.Read, CancellationToken.None).AsTask();
        var background = controller.AcquireAsync(RequestPriority.Background, CancellationToken.None).AsTask();
        var write = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        var critical = controller.AcquireAsync(RequestPriority.Critical, CancellationToken.None).AsTask(); // 9th slot
        var evicting = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask(); // evicts background
        var refused = controller.AcquireAsync(RequestPriority.Read, CancellationToken.None).AsTask(); // queue full

        // Act
        leases[0].Dispose(); // 8 in flight: no write fits (limit 8)
        leases[1].Dispose(); // 7: the first write waiter
        var statistics = controller.GetStatistics();

        // Assert
        statistics.Limit.ShouldBe(8);
        statistics.Ceiling.ShouldBeNull();
        statistics.InFlight.ShouldBe(8);
        statistics.TotalAdmitted.ShouldBe(10);
        statistics.Queued.ShouldBe(2);
        statistics.GetQueued(RequestPriority.Write).ShouldBe(1);
        statistics.GetQueued(RequestPriority.Read).ShouldBe(1);
        statistics.GetQueued(RequestPriority.Background).ShouldBe(0);
        statistics.TotalEvicted.ShouldBe(1);
        statistics.TotalQueueFull.ShouldBe(1);
        statistics.TotalShed.ShouldBe(2);
        (read.IsCompleted, write.IsCompleted, evicting.IsCompleted).ShouldBe((false, true, false));
        (critical.IsCompletedSuccessfully, background.IsCompletedSuccessfully, refused.IsCompletedSuccessfully).ShouldBe((true, true, true));
    }

    [Fact]
    public async Task Dispose_WithWaiters_RejectsThemAndRefusesNewRequests()
    {
        // Arrange
        var controller = Create();
        var leases = Fill(controller, RequestPriority.Write, 8);
        var pending = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();

        // Act
        controller.Dispose();

        // Assert
        (await pending).Reason.ShouldBe(RejectionReason.NoCapacity);
        Should.Throw<ObjectDisposedException>(() => controller.TryAcquire(RequestPriority.Write, out _));
        leases[0].Dispose(); // releasing after disposal is harmless
        controller.GetStatistics().InFlight.ShouldBe(7);
    }

    private AdmissionController Create(Action<AdmissionOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        // Small limits keep each test's arithmetic readable; tests that need others set them.
        var options = new AdmissionOptions { InitialLimit = 8, MinLimit = 2 };
        configure?.Invoke(options);
        var controller = new AdmissionController(options, timeProvider ?? _clock, new Random(42));
        _controllers.Add(controller);
        return controller;
    }

    private static bool TryAdmit(AdmissionController controller, RequestPriority priority) =>
        controller.TryAcquire(priority, out _);

    private static List<AdmissionLease> Fill(AdmissionController controller, RequestPriority priority, int count)
    {
        var leases = new List<AdmissionLease>();
        for (var i = 0; i < count; i++)
        {
            controller.TryAcquire(priority, out var lease).ShouldBeTrue();
            leases.Add(lease);
        }

        return leases;
    }

    /// <summary>The fake clock's time, but timers that never fire.</summary>
    private sealed class SilentTimersTimeProvider(TimeProvider clock) : TimeProvider
    {
        public override long TimestampFrequency => clock.TimestampFrequency;

        public override long GetTimestamp() => clock.GetTimestamp();

        public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new SilentTimer();

        private sealed class SilentTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
