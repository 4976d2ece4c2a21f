using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

public class AdmissionQueueTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(5);

    private readonly FakeTimeProvider _clock = new();
    private readonly AdmissionPartition _tenant = new("tenant");

    [Fact]
    public void TryDequeue_QueueYoungerThanInterval_ServesOldestFirst()
    {
        // Arrange
        var queue = CreateQueue();
        var first = Enqueue(queue, RequestPriority.Read);
        _clock.Advance(TimeSpan.FromMilliseconds(99));
        Enqueue(queue, RequestPriority.Read);

        // Act
        var served = queue.TryDequeue(RequestPriority.Read, _clock.GetTimestamp());

        // Assert
        served.ShouldBeSameAs(first);
    }

    [Fact]
    public void TryDequeue_StandingQueue_ServesNewestFirst()
    {
        // Arrange
        var queue = CreateQueue();
        Enqueue(queue, RequestPriority.Read);
        _clock.Advance(Interval);
        var newest = Enqueue(queue, RequestPriority.Read);

        // Act
        var served = queue.TryDequeue(RequestPriority.Read, _clock.GetTimestamp());

        // Assert
        served.ShouldBeSameAs(newest);
    }

    [Fact]
    public void TimeoutFor_QueueNotEmptyForInterval_SwitchesToTargetDelay()
    {
        // Arrange
        var queue = CreateQueue();
        var empty = queue.TimeoutFor(_clock.GetTimestamp());
        Enqueue(queue, RequestPriority.Write);
        _clock.Advance(TimeSpan.FromMilliseconds(99));
        var young = queue.TimeoutFor(_clock.GetTimestamp());

        // Act
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var standing = queue.TimeoutFor(_clock.GetTimestamp());

        // Assert
        empty.ShouldBe(Interval);
        young.ShouldBe(Interval);
        standing.ShouldBe(Target);
    }

    [Fact]
    public void IsStanding_QueueEmptiedInBetween_MeasuresFromLastEmpty()
    {
        // Arrange: a queue that empties at 100 ms and refills at 150 ms is not standing at 200 ms
        var queue = CreateQueue();
        var early = Enqueue(queue, RequestPriority.Read);
        _clock.Advance(Interval);
        queue.Remove(early).ShouldBeTrue();
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        Enqueue(queue, RequestPriority.Read);

        // Act
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        var at200 = queue.IsStanding(_clock.GetTimestamp());
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        var at250 = queue.IsStanding(_clock.GetTimestamp());

        // Assert
        at200.ShouldBeFalse();
        at250.ShouldBeTrue();
    }

    [Fact]
    public void TryMakeRoom_FullAndNewcomerOutranksLowest_EvictsNewestOfLowestPriority()
    {
        // Arrange
        var queue = CreateQueue(capacity: 3);
        var olderBackground = Enqueue(queue, RequestPriority.Background);
        var newerBackground = Enqueue(queue, RequestPriority.Background);
        Enqueue(queue, RequestPriority.Read);

        // Act
        var accepted = queue.TryMakeRoom(RequestPriority.Write, out var evicted);
        queue.Enqueue(Waiter(RequestPriority.Write), _clock.GetTimestamp());

        // Assert
        accepted.ShouldBeTrue();
        evicted.ShouldBeSameAs(newerBackground);
        queue.Count.ShouldBe(3);
        queue.CountOf(RequestPriority.Background).ShouldBe(1);
        queue.CountOf(RequestPriority.Write).ShouldBe(1);
        queue.TryDequeue(RequestPriority.Background, _clock.GetTimestamp()).ShouldBeSameAs(olderBackground);
    }

    [Theory]
    [InlineData(RequestPriority.Read)]
    [InlineData(RequestPriority.Background)]
    public void TryMakeRoom_FullAndNobodyOfLowerPriority_RefusesNewcomer(RequestPriority newcomer)
    {
        // Arrange
        var queue = CreateQueue(capacity: 2);
        Enqueue(queue, RequestPriority.Read);
        Enqueue(queue, RequestPriority.Read);

        // Act
        var accepted = queue.TryMakeRoom(newcomer, out var evicted);

        // Assert
        accepted.ShouldBeFalse();
        evicted.ShouldBeNull();
        queue.Count.ShouldBe(2);
    }

    [Fact]
    public void TryMakeRoom_ZeroCapacity_RefusesEvenCritical()
    {
        // Arrange
        var queue = CreateQueue(capacity: 0);

        // Act
        var accepted = queue.TryMakeRoom(RequestPriority.Critical, out _);

        // Assert
        accepted.ShouldBeFalse();
        queue.Count.ShouldBe(0);
    }

    [Fact]
    public void Remove_WaiterAlreadyDequeued_ReturnsFalse()
    {
        // Arrange
        var queue = CreateQueue();
        var waiter = Enqueue(queue, RequestPriority.Write);
        queue.TryDequeue(RequestPriority.Write, _clock.GetTimestamp());

        // Act
        var removed = queue.Remove(waiter);

        // Assert
        removed.ShouldBeFalse();
        queue.Count.ShouldBe(0);
    }

    [Fact]
    public void Remove_MiddleWaiter_KeepsOrderOfTheRest()
    {
        // Arrange
        var queue = CreateQueue();
        var a = Enqueue(queue, RequestPriority.Read);
        var b = Enqueue(queue, RequestPriority.Read);
        var c = Enqueue(queue, RequestPriority.Read);

        // Act
        queue.Remove(b).ShouldBeTrue();

        // Assert
        queue.TryDequeue(RequestPriority.Read, _clock.GetTimestamp()).ShouldBeSameAs(a);
        queue.TryDequeue(RequestPriority.Read, _clock.GetTimestamp()).ShouldBeSameAs(c);
        queue.TryDequeue(RequestPriority.Read, _clock.GetTimestamp()).ShouldBeNull();
    }

    [Fact]
    public void HasWaitersAtOrAbove_OnlyReadQueued_BlocksReadAndBackgroundOnly()
    {
        // Arrange
        var queue = CreateQueue();

        // Act
        Enqueue(queue, RequestPriority.Read);

        // Assert
        queue.HasWaitersAtOrAbove(RequestPriority.Critical).ShouldBeFalse();
        queue.HasWaitersAtOrAbove(RequestPriority.Write).ShouldBeFalse();
        queue.HasWaitersAtOrAbove(RequestPriority.Read).ShouldBeTrue();
        queue.HasWaitersAtOrAbove(RequestPriority.Background).ShouldBeTrue();
    }

    private AdmissionQueue CreateQueue(int capacity = 100) => new(capacity, Interval, Target, _clock);

    private AdmissionWaiter Waiter(RequestPriority priority, AdmissionPartition? partition = null) =>
        new(priority, _clock.GetTimestamp(), Interval, partition ?? _tenant);

    private AdmissionWaiter Enqueue(AdmissionQueue queue, RequestPriority priority)
    {
        var waiter = Waiter(priority);
        queue.TryMakeRoom(priority, out _).ShouldBeTrue();
        queue.Enqueue(waiter, _clock.GetTimestamp());
        return waiter;
    }
}
