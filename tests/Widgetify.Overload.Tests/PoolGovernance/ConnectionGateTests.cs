using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

public sealed class ConnectionGateTests
{
    [Fact]
    public void TryAcquire_BelowLimit_TakesASlot()
    {
        // Arrange
        var gate = new ConnectionGate(2);

        // Act
        var first = gate.TryAcquire();
        var second = gate.TryAcquire();
        var third = gate.TryAcquire();

        // Assert
        (first, second, third).ShouldBe((true, true, false));
        gate.Held.ShouldBe(2);
    }

    [Fact]
    public async Task WaitAsync_Full_WaitsUntilARelease()
    {
        // Arrange
        var gate = new ConnectionGate(1);
        await gate.WaitAsync(CancellationToken.None);

        // Act
        var waiting = gate.WaitAsync(CancellationToken.None).AsTask();
        var blockedBeforeRelease = !waiting.IsCompleted;
        gate.Release();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        // Assert
        blockedBeforeRelease.ShouldBeTrue();
        gate.Held.ShouldBe(1);
        gate.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task Release_SeveralWaiters_AdmitsThemInArrivalOrder()
    {
        // Arrange
        var gate = new ConnectionGate(1);
        gate.TryAcquire().ShouldBeTrue();
        var admitted = new List<int>();
        var waiters = Enumerable.Range(0, 5)
            .Select(async i =>
            {
                await gate.WaitAsync(CancellationToken.None);
                lock (admitted)
                {
                    admitted.Add(i);
                }

                gate.Release();
            })
            .ToArray();

        // Act
        gate.Release();
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(10));

        // Assert
        admitted.ShouldBe([0, 1, 2, 3, 4]);
    }

    [Fact]
    public void TryAcquire_SlotFreeButSomeoneWaits_DoesNotOvertake()
    {
        // Arrange
        var gate = new ConnectionGate(1);
        gate.TryAcquire().ShouldBeTrue();
        var waiter = gate.WaitAsync(CancellationToken.None).AsTask();
        gate.SetLimit(0);
        gate.Release();
        gate.SetLimit(1);

        // Act
        var overtook = gate.TryAcquire();

        // Assert
        overtook.ShouldBeFalse();
        waiter.IsCompletedSuccessfully.ShouldBeTrue();
    }

    [Fact]
    public async Task WaitAsync_Cancelled_LeavesTheLineHoldingNothing()
    {
        // Arrange
        var gate = new ConnectionGate(1);
        gate.TryAcquire().ShouldBeTrue();
        using var cancellation = new CancellationTokenSource();
        var waiting = gate.WaitAsync(cancellation.Token).AsTask();

        // Act
        await cancellation.CancelAsync();

        // Assert
        await Should.ThrowAsync<OperationCanceledException>(waiting);
        gate.Waiting.ShouldBe(0);
        gate.Release();
        gate.Held.ShouldBe(0);
        gate.TryAcquire().ShouldBeTrue();
    }

    [Fact]
    public void SetLimit_BelowHolders_BlocksNewcomersUntilHoldersDropBelowIt()
    {
        // Arrange
        var gate = new ConnectionGate(3);
        for (var i = 0; i < 3; i++)
        {
            gate.TryAcquire().ShouldBeTrue();
        }

        // Act
        gate.SetLimit(1);
        var waiter = gate.WaitAsync(CancellationToken.None).AsTask();
        gate.Release();
        var afterOneRelease = waiter.IsCompleted;
        gate.Release();
        var afterTwoReleases = waiter.IsCompleted;
        gate.Release();

        // Assert
        (afterOneRelease, afterTwoReleases, waiter.IsCompletedSuccessfully).ShouldBe((false, false, true));
        gate.Held.ShouldBe(1);
        gate.Limit.ShouldBe(1);
    }

    [Fact]
    public void SetLimit_Raised_AdmitsWaiters()
    {
        // Arrange
        var gate = new ConnectionGate(0);
        var first = gate.WaitAsync(CancellationToken.None).AsTask();
        var second = gate.WaitAsync(CancellationToken.None).AsTask();

        // Act
        gate.SetLimit(1);

        // Assert
        first.IsCompletedSuccessfully.ShouldBeTrue();
        second.IsCompleted.ShouldBeFalse();
        gate.Waiting.ShouldBe(1);
    }
}
