using Widgetify.PoolReview.History;
using static Widgetify.PoolReview.Tests.History.Seconds;

namespace Widgetify.PoolReview.Tests.History;

public sealed class PendingMinutesTests
{
    [Fact]
    public void Add_BeyondCapacity_DropsTheOldestAndCountsThem()
    {
        // Arrange
        var pending = new PendingMinutes(3);

        // Act
        for (var m = 0; m < 5; m++)
        {
            pending.Add(Minute("a", m));
        }

        // Assert
        pending.Take().Select(m => m.Minute).ShouldBe([T0.AddMinutes(2), T0.AddMinutes(3), T0.AddMinutes(4)]);
        pending.TakeDropped().ShouldBe(2);
        pending.TakeDropped().ShouldBe(0, "counted once");
    }

    [Fact]
    public void Return_MinutesAddedMeanwhile_PutsTheBatchBackFirstAndDropsTheOldest()
    {
        // Arrange: a batch taken for writing, then two more minutes while the write fails.
        var pending = new PendingMinutes(3);
        pending.Add(Minute("a", 0));
        pending.Add(Minute("a", 1));
        var batch = pending.Take();
        pending.Add(Minute("a", 2));
        pending.Add(Minute("a", 3));

        // Act
        pending.Return(batch);

        // Assert
        pending.Take().Select(m => m.Minute).ShouldBe([T0.AddMinutes(1), T0.AddMinutes(2), T0.AddMinutes(3)]);
        pending.TakeDropped().ShouldBe(1);
    }
}
