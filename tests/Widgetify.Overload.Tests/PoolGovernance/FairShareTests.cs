using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

public sealed class FairShareTests
{
    [Fact]
    public void Allocate_EqualLargeWants_SplitsEvenlyWithRemainderToLowestPositions()
    {
        // Arrange
        int[] wants = [100, 100, 100];

        // Act
        var shares = FairShare.Allocate(10, wants);

        // Assert
        shares.ShouldBe([4, 3, 3]);
    }

    [Fact]
    public void Allocate_SmallWantCapped_RedistributesWhatItLeavesToTheOthers()
    {
        // Arrange
        int[] wants = [20, 2, 20];

        // Act
        var shares = FairShare.Allocate(12, wants);

        // Assert
        shares.ShouldBe([5, 2, 5]);
    }

    [Fact]
    public void Allocate_CapacityAboveAllWants_GivesEachItsWant()
    {
        // Arrange
        int[] wants = [3, 1, 4];

        // Act
        var shares = FairShare.Allocate(50, wants);

        // Assert
        shares.ShouldBe([3, 1, 4]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Allocate_NoCapacity_GivesEveryoneZero(int capacity)
    {
        // Arrange
        int[] wants = [5, 5];

        // Act
        var shares = FairShare.Allocate(capacity, wants);

        // Assert
        shares.ShouldBe([0, 0]);
    }

    [Fact]
    public void Allocate_ManyMixedWants_NeverExceedsCapacityOrAWant()
    {
        // Arrange
        int[] wants = [7, 0, 13, 2, 9, 9, 1];

        // Act
        var shares = FairShare.Allocate(23, wants);

        // Assert
        shares.Sum().ShouldBe(23);
        shares.Zip(wants).ShouldAllBe(p => p.First <= p.Second);
        shares.ShouldBe([5, 0, 5, 2, 5, 5, 1]);
    }
}
