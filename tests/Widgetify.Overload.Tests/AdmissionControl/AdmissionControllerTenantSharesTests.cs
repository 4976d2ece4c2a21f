using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

/// <summary>Shares between tenants (<see cref="AdmissionOptions.TenantShares"/>): a limit of 8 leaves reads 7 slots
/// (ReadShare 0.9); the fake clock never moves unless a test says so, so every queue here is young (FIFO, 100 ms).</summary>
public sealed class AdmissionControllerTenantSharesTests : IDisposable
{
    private const string Flood = "widget:viral";
    private const string Trickle = "tenant:other";

    private readonly TimerCountingFakeTimeProvider _clock = new();
    private readonly List<AdmissionController> _controllers = [];

    public void Dispose()
    {
        foreach (var controller in _controllers)
        {
            controller.Dispose();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Release_FloodHoldsEverySlotAndQueuesFirst_NextSlotGoesToTheOtherTenantOnlyWithShares(bool shares)
    {
        // Arrange: the flood holds all 7 read slots and queued 5 more before the trickle's one request
        var controller = Create(o => o.TenantShares = shares);
        var floodLeases = Fill(controller, Flood, 7);
        var floodWaiters = Enumerable.Range(0, 5).Select(_ => Acquire(controller, Flood)).ToList();
        var trickle = Acquire(controller, Trickle);

        // Act
        floodLeases[0].Dispose();

        // Assert: with shares the trickle is served at the first free slot; without, it waits behind the whole flood
        trickle.IsCompleted.ShouldBe(shares);
        floodWaiters[0].IsCompleted.ShouldBe(!shares);
        controller.GetStatistics().ActivePartitions.ShouldBe(shares ? 2 : 1);
    }

    [Fact]
    public async Task AcquireAsync_FullQueueHeldByFlood_TrickleEvictsTheFloodsNewestAndFloodNewcomersAreRefused()
    {
        // Arrange: the flood holds all 7 read slots and the whole queue (4)
        var controller = Create(o => o.QueueCapacity = 4);
        var floodLeases = Fill(controller, Flood, 7);
        var floodWaiters = Enumerable.Range(0, 4).Select(_ => Acquire(controller, Flood)).ToList();

        // Act
        var aloneRefused = await controller.AcquireAsync(RequestPriority.Read, Flood, CancellationToken.None);
        var trickle = Acquire(controller, Trickle);
        var refusedFlood = await controller.AcquireAsync(RequestPriority.Read, Flood, CancellationToken.None);
        floodLeases[0].Dispose();

        // Assert: the flood is shed beyond its share, the trickle gets the queue's place and then the free slot
        aloneRefused.Reason.ShouldBe(RejectionReason.QueueFull, "alone, a full queue refuses the newcomer as before");
        refusedFlood.Reason.ShouldBe(RejectionReason.QueueFull, "3 queued is over its share of 2 with another tenant active");
        (await floodWaiters[3]).Reason.ShouldBe(RejectionReason.Evicted, "the flood's newest waiter made room");
        (await trickle).IsAdmitted.ShouldBeTrue();
        floodWaiters.Take(3).ShouldAllBe(w => !w.IsCompleted);
        var statistics = controller.GetStatistics();
        statistics.TotalOverShare.ShouldBe(2, "the eviction and the refusal after the trickle came; not the refusal before");
        statistics.TotalQueueFull.ShouldBe(2);
        statistics.TotalEvicted.ShouldBe(1);
    }

    [Fact]
    public async Task AcquireAsync_WriteEvictsAReadOfAPartitionOverItsShare_IsNotCountedOverShare()
    {
        // Arrange: the flood holds the 7 read slots, the other tenant the 8th (a write), the flood queues 4 reads (full)
        var controller = Create(o => o.QueueCapacity = 4);
        Fill(controller, Flood, 7);
        controller.TryAcquire(RequestPriority.Write, Trickle, out _).ShouldBeTrue();
        var floodWaiters = Enumerable.Range(0, 4).Select(_ => Acquire(controller, Flood)).ToList();

        // Act: a third tenant's write, more important than every waiter
        var write = controller.AcquireAsync(RequestPriority.Write, "writer", CancellationToken.None).AsTask();

        // Assert: the eviction is by priority, not by the share rule, though the flood queues over its share
        write.IsCompleted.ShouldBeFalse();
        (await floodWaiters[3]).Reason.ShouldBe(RejectionReason.Evicted);
        var statistics = controller.GetStatistics();
        statistics.TotalEvicted.ShouldBe(1);
        statistics.TotalOverShare.ShouldBe(0);
    }

    [Fact]
    public async Task AcquireAsync_ReadRefusedByAQueueFullOfWrites_IsNotCountedOverShare()
    {
        // Arrange: every slot taken (the flood 7 reads, the other tenant a write); the flood queues 4 writes (full)
        var controller = Create(o => o.QueueCapacity = 4);
        Fill(controller, Flood, 7);
        controller.TryAcquire(RequestPriority.Write, Trickle, out _).ShouldBeTrue();
        for (var i = 0; i < 4; i++)
        {
            controller.AcquireAsync(RequestPriority.Write, Flood, CancellationToken.None).AsTask().IsCompleted.ShouldBeFalse();
        }

        // Act: the flood's read, less important than every waiter
        var read = await controller.AcquireAsync(RequestPriority.Read, Flood, CancellationToken.None);

        // Assert: refused by priority; its partition being over its share is not what refused it
        read.Reason.ShouldBe(RejectionReason.QueueFull);
        controller.GetStatistics().TotalOverShare.ShouldBe(0);
    }

    [Fact]
    public async Task AcquireAsync_FullQueueAndTenantSharesOff_TrickleIsRefusedLikeTheFlood()
    {
        // Arrange
        var controller = Create(o =>
        {
            o.QueueCapacity = 4;
            o.TenantShares = false;
        });
        Fill(controller, Flood, 7);
        var floodWaiters = Enumerable.Range(0, 4).Select(_ => Acquire(controller, Flood)).ToList();

        // Act
        var trickle = await controller.AcquireAsync(RequestPriority.Read, Trickle, CancellationToken.None);

        // Assert
        trickle.Reason.ShouldBe(RejectionReason.QueueFull);
        floodWaiters.ShouldAllBe(w => !w.IsCompleted);
        controller.GetStatistics().TotalOverShare.ShouldBe(0);
    }

    [Fact]
    public async Task AcquireAsync_OneTenantAlone_UsesTheWholeLimitAndTheWholeQueue()
    {
        // Arrange
        var controller = Create(o => o.QueueCapacity = 4);

        // Act: work-conserving, nobody else waits, so no share holds it back
        var leases = Fill(controller, Flood, 7);
        var waiters = Enumerable.Range(0, 4).Select(_ => Acquire(controller, Flood)).ToList();
        var fifth = await controller.AcquireAsync(RequestPriority.Read, Flood, CancellationToken.None);
        leases[0].Dispose();

        // Assert
        controller.GetStatistics().InFlight.ShouldBe(7);
        (await waiters[0]).IsAdmitted.ShouldBeTrue();
        fifth.Reason.ShouldBe(RejectionReason.QueueFull);
        controller.GetStatistics().TotalOverShare.ShouldBe(0, "alone, it is never over its share");
    }

    [Fact]
    public void TryAcquire_AnotherTenantHoldsASlot_FloodStillTakesEveryFreeSlot()
    {
        // Arrange
        var controller = Create();
        Fill(controller, Trickle, 1);

        // Act
        var flood = Enumerable.Range(0, 7).Select(i => controller.TryAcquire(RequestPriority.Read, Flood, out _)).ToList();

        // Assert: shares only decide who goes next when slots free up; they never leave a slot idle
        flood.ShouldBe([true, true, true, true, true, true, false]);
        controller.GetStatistics().InFlight.ShouldBe(7);
    }

    [Fact]
    public async Task Release_FloodsWriteAndOtherTenantsReadQueued_PriorityWinsOverShares()
    {
        // Arrange: the flood holds all 8 write slots; the other tenant's read queues before the flood's write
        var controller = Create();
        var leases = new List<AdmissionLease>();
        for (var i = 0; i < 8; i++)
        {
            controller.TryAcquire(RequestPriority.Write, Flood, out var lease).ShouldBeTrue();
            leases.Add(lease);
        }

        var otherRead = Acquire(controller, Trickle);
        var floodWrite = controller.AcquireAsync(RequestPriority.Write, Flood, CancellationToken.None).AsTask();

        // Act
        leases[0].Dispose();

        // Assert: priorities come first: the write, though its tenant holds far more than its share
        (await floodWrite).IsAdmitted.ShouldBeTrue();
        otherRead.IsCompleted.ShouldBeFalse();
    }

    [Fact]
    public async Task Release_ThreeTenantsQueued_ServesThemRoundRobin()
    {
        // Arrange: a fourth tenant holds every read slot; a1 a2 a3 b1 b2 c1 queue in that order
        var controller = Create();
        var leases = Fill(controller, "holder", 7);
        var queued = new List<(string Name, Task<AdmissionResult> Task)>();
        foreach (var (tenant, name) in new[] { ("a", "a1"), ("a", "a2"), ("a", "a3"), ("b", "b1"), ("b", "b2"), ("c", "c1") })
        {
            queued.Add((name, Acquire(controller, tenant)));
        }

        // Act: free one slot at a time
        var order = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            leases[i].Dispose();
            var served = queued.Where(q => q.Task.IsCompleted && !order.Contains(q.Name)).Select(q => q.Name).ToList();
            served.Count.ShouldBe(1);
            order.Add(served[0]);
        }

        // Assert
        order.ShouldBe(["a1", "b1", "c1", "a2", "b2", "a3"]);
        foreach (var (_, task) in queued)
        {
            (await task).Lease!.Dispose();
        }

        leases[6].Dispose();
        controller.GetStatistics().ActivePartitions.ShouldBe(0, "idle tenants are forgotten");
    }

    [Fact]
    public async Task Release_TenantAtItsShareNextInTurn_IsPassedOverForOneBelowIt()
    {
        // Arrange: the flood holds 6 of 7 slots, the trickle 1; share = ceil(7 / 3 active) = 3; the flood queues first
        var controller = Create();
        var flood = Fill(controller, Flood, 6);
        Fill(controller, Trickle, 1);
        var floodWaiter = Acquire(controller, Flood);
        var third = Acquire(controller, "third");

        // Act
        flood[0].Dispose();

        // Assert
        third.IsCompleted.ShouldBeTrue();
        (await third).IsAdmitted.ShouldBeTrue();
        floodWaiter.IsCompleted.ShouldBeFalse();
    }

    [Fact]
    public async Task AcquireAsync_FloodsQueueStanding_OtherTenantStillWaitsQueueIntervalAndFifo()
    {
        // Arrange: the flood has kept waiters queued for 100 ms without a break: its queue is standing
        var controller = Create();
        Fill(controller, Flood, 7);
        _ = Acquire(controller, Flood);
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        _ = Acquire(controller, Flood); // keeps the flood's queue non-empty when the first times out at 100 ms
        _clock.Advance(TimeSpan.FromMilliseconds(50));

        // Act: CoDel per tenant, as fq_codel runs it per flow
        var flood = Acquire(controller, Flood);
        var trickle = Acquire(controller, Trickle);
        _clock.Advance(TimeSpan.FromMilliseconds(5));
        var floodAt5 = flood.IsCompleted;
        var trickleAt5 = trickle.IsCompleted;
        _clock.Advance(TimeSpan.FromMilliseconds(95));

        // Assert: the flood's newcomer gets the target delay (5 ms), the other tenant the burst allowance (100 ms)
        floodAt5.ShouldBeTrue();
        (await flood).Reason.ShouldBe(RejectionReason.QueueTimeout);
        trickleAt5.ShouldBeFalse();
        (await trickle).Reason.ShouldBe(RejectionReason.QueueTimeout);
    }

    [Fact]
    public async Task AcquireAsync_WholeQueueStandingOverManyOneWaiterPartitions_NewcomerWaitsTargetDelay()
    {
        // Arrange: a storm spread over many tenants, one waiter each: 10 queue at 0 ms and 10 more at 50 ms, so at 100 ms
        // the first 10 time out while the second 10 keep the whole queue non-empty: standing as a whole, though no
        // partition's own queue is older than 50 ms
        var controller = Create();
        Fill(controller, "holder", 7);
        var first = Enumerable.Range(0, 10).Select(i => Acquire(controller, $"early{i}")).ToList();
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        var second = Enumerable.Range(0, 10).Select(i => Acquire(controller, $"late{i}")).ToList();
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        first.ShouldAllBe(w => w.IsCompleted);

        // Act
        var newcomer = Acquire(controller, "newcomer");
        _clock.Advance(TimeSpan.FromMilliseconds(5));

        // Assert: the whole queue's rule (5 ms), not the burst allowance of a partition that is not standing on its own
        newcomer.IsCompleted.ShouldBeTrue("a crowded standing queue gives every newcomer the target delay");
        (await newcomer).Reason.ShouldBe(RejectionReason.QueueTimeout);
        second.ShouldAllBe(w => !w.IsCompleted, "waiters queued before it became standing keep their 100 ms");
    }

    [Fact]
    public async Task AcquireAsync_StandingQueueAndTenantSharesOff_EveryNewcomerWaitsTargetDelay()
    {
        // Arrange
        var controller = Create(o => o.TenantShares = false);
        Fill(controller, Flood, 7);
        _ = Acquire(controller, Flood);
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        _ = Acquire(controller, Flood); // keeps the flood's queue non-empty when the first times out at 100 ms
        _clock.Advance(TimeSpan.FromMilliseconds(50));

        // Act
        var trickle = Acquire(controller, Trickle);
        _clock.Advance(TimeSpan.FromMilliseconds(5));

        // Assert: one queue, one CoDel state, as before
        trickle.IsCompleted.ShouldBeTrue();
        (await trickle).Reason.ShouldBe(RejectionReason.QueueTimeout);
    }

    private AdmissionController Create(Action<AdmissionOptions>? configure = null)
    {
        var options = new AdmissionOptions { InitialLimit = 8, MinLimit = 2 };
        configure?.Invoke(options);
        var controller = new AdmissionController(options, _clock, new Random(42));
        _controllers.Add(controller);
        return controller;
    }

    private static Task<AdmissionResult> Acquire(AdmissionController controller, string tenant)
    {
        var pending = controller.AcquireAsync(RequestPriority.Read, tenant, CancellationToken.None).AsTask();
        pending.IsCompleted.ShouldBeFalse("every slot is taken, so it queues");
        return pending;
    }

    private static List<AdmissionLease> Fill(AdmissionController controller, string tenant, int count)
    {
        var leases = new List<AdmissionLease>();
        for (var i = 0; i < count; i++)
        {
            controller.TryAcquire(RequestPriority.Read, tenant, out var lease).ShouldBeTrue();
            leases.Add(lease);
        }

        return leases;
    }
}
