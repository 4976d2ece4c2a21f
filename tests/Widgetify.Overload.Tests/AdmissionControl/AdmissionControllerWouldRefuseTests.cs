using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

/// <summary><see cref="AdmissionController.WouldRefuse"/>, the lock-free snapshot the pre-routing shed reads: it must say
/// "refused" only when <see cref="AdmissionController.AcquireAsync(RequestPriority, string?, CancellationToken)"/> would refuse at that instant too.</summary>
public sealed class AdmissionControllerWouldRefuseTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new();
    private readonly List<AdmissionController> _controllers = [];

    public void Dispose()
    {
        foreach (var controller in _controllers)
        {
            controller.Dispose();
        }
    }

    [Fact]
    public void WouldRefuse_Idle_RefusesNothing()
    {
        // Arrange
        var controller = Create(queueCapacity: 0);

        // Act
        var refused = AllPriorities().Select(p => controller.WouldRefuse(p, out _)).ToList();

        // Assert
        refused.ShouldAllBe(r => !r);
    }

    [Fact]
    public async Task WouldRefuse_ReadsAtReadShareWithNoQueue_RefusesReadsOnlyAsAcquireDoes()
    {
        // Arrange: limit 4 × ReadShare 0.5 = 2 reads in flight, no queue
        var controller = Create(queueCapacity: 0);
        var leases = Take(controller, RequestPriority.Read, 2);

        // Act
        var readRefused = controller.WouldRefuse(RequestPriority.Read, out var readReason);
        var writeRefused = controller.WouldRefuse(RequestPriority.Write, out _);
        var read = await controller.AcquireAsync(RequestPriority.Read, CancellationToken.None);

        // Assert
        readRefused.ShouldBeTrue();
        readReason.ShouldBe(RejectionReason.QueueFull);
        read.Reason.ShouldBe(RejectionReason.QueueFull, "the snapshot must agree with what admission does at the same instant");
        writeRefused.ShouldBeFalse("writes still have 2 of their 4 slots");
        controller.WouldRefuse(RequestPriority.Background, out _).ShouldBeTrue("less important than a refused read");
        Release(leases);
    }

    [Fact]
    public void WouldRefuse_SlotFreed_StopsRefusingAtOnce()
    {
        // Arrange
        var controller = Create(queueCapacity: 0);
        var leases = Take(controller, RequestPriority.Write, 4);
        controller.WouldRefuse(RequestPriority.Write, out _).ShouldBeTrue();

        // Act
        leases[0].Complete(AdmissionOutcome.Ignored);

        // Assert
        controller.WouldRefuse(RequestPriority.Write, out _).ShouldBeFalse();
        controller.WouldRefuse(RequestPriority.Read, out _).ShouldBeTrue("3 in flight is still past the reads' 2");
        Release(leases[1..]);
    }

    [Fact]
    public async Task WouldRefuse_QueueFullOfReads_RefusesReadsButNotWritesThatWouldEvictThem()
    {
        // Arrange: every slot taken, one read queued in a queue of one
        var controller = Create(queueCapacity: 1);
        var leases = Take(controller, RequestPriority.Write, 4);
        var queued = controller.AcquireAsync(RequestPriority.Read, CancellationToken.None);
        queued.IsCompleted.ShouldBeFalse();

        // Act
        var readRefused = controller.WouldRefuse(RequestPriority.Read, out var reason);
        var writeRefused = controller.WouldRefuse(RequestPriority.Write, out _);

        // Assert
        readRefused.ShouldBeTrue();
        reason.ShouldBe(RejectionReason.QueueFull);
        writeRefused.ShouldBeFalse("a write would evict the queued read, not be refused");
        Release(leases);
        (await queued).IsAdmitted.ShouldBeTrue();
        controller.WouldRefuse(RequestPriority.Read, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task WouldRefuse_QueueFullOfOneTenantsReads_RefusesReadsOnlyWithoutTenantShares(bool tenantShares, bool expectRefused)
    {
        // Arrange: every slot taken, tenant a's reads fill the queue of 4; with shares, another tenant's read would evict one
        var controller = Create(queueCapacity: 4, tenantShares);
        var leases = Take(controller, RequestPriority.Write, 4);
        var queued = Enumerable.Range(0, 4).Select(_ => controller.AcquireAsync(RequestPriority.Read, "a", CancellationToken.None).AsTask()).ToList();

        // Act
        var refused = controller.WouldRefuse(RequestPriority.Read, out _);
        var other = controller.AcquireAsync(RequestPriority.Read, "b", CancellationToken.None).AsTask();

        // Assert
        refused.ShouldBe(expectRefused);
        (other.IsCompletedSuccessfully && !(await other).IsAdmitted).ShouldBe(expectRefused, "the snapshot must agree with what admission does to a tenant with nothing queued");
        Release(leases);
        _clock.Advance(TimeSpan.FromSeconds(11));
        foreach (var waiter in queued.Append(other))
        {
            if ((await waiter).Lease is { } lease)
            {
                lease.Complete(AdmissionOutcome.Ignored);
            }
        }
    }

    [Fact]
    public void WouldRefuse_CeilingZero_RefusesEveryPriorityForNoCapacity()
    {
        // Arrange
        var controller = Create(queueCapacity: 10);

        // Act
        controller.SetCeiling(0);

        // Assert
        foreach (var priority in AllPriorities())
        {
            controller.WouldRefuse(priority, out var reason).ShouldBeTrue();
            reason.ShouldBe(RejectionReason.NoCapacity);
        }

        controller.SetCeiling(10);
        controller.WouldRefuse(RequestPriority.Background, out _).ShouldBeFalse();
    }

    [Fact]
    public void CountShedBeforeRouting_QueueFullAndNoCapacity_CountedWithTheirReasonsAndInTotalShed()
    {
        // Arrange
        var controller = Create(queueCapacity: 0);

        // Act
        var first = controller.CountShedBeforeRouting(RequestPriority.Read, RejectionReason.QueueFull);
        var second = controller.CountShedBeforeRouting(RequestPriority.Read, RejectionReason.QueueFull);
        controller.CountShedBeforeRouting(RequestPriority.Write, RejectionReason.NoCapacity);

        // Assert
        (first, second).ShouldBe((1L, 2L));
        var statistics = controller.GetStatistics();
        statistics.TotalQueueFull.ShouldBe(2);
        statistics.TotalNoCapacity.ShouldBe(1);
        statistics.TotalShedBeforeRouting.ShouldBe(3);
        statistics.TotalShed.ShouldBe(3, "counted once, with its reason");
    }

    private static RequestPriority[] AllPriorities() =>
        [RequestPriority.Critical, RequestPriority.Write, RequestPriority.Read, RequestPriority.Background];

    private static AdmissionLease[] Take(AdmissionController controller, RequestPriority priority, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => controller.TryAcquire(priority, out var lease) ? lease : throw new InvalidOperationException("not admitted"))];

    private static void Release(IEnumerable<AdmissionLease> leases)
    {
        foreach (var lease in leases)
        {
            lease.Complete(AdmissionOutcome.Ignored);
        }
    }

    private AdmissionController Create(int queueCapacity, bool tenantShares = true)
    {
        var controller = new AdmissionController(
            new AdmissionOptions
            {
                InitialLimit = 4, MinLimit = 4, MaxLimit = 4, ReadShare = 0.5, QueueCapacity = queueCapacity,
                QueueInterval = TimeSpan.FromSeconds(10), TenantShares = tenantShares,
            },
            _clock,
            new Random(1));
        _controllers.Add(controller);
        return controller;
    }
}
