using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Tests.Metrics;

public sealed class HistogramValueTests
{
    private static readonly double[] Bounds = [0.1, 0.5, 1];

    [Fact]
    public void Since_Null_ReturnsEverything()
    {
        // Arrange
        var value = new HistogramValue(Bounds, [3, 2, 1, 4], sum: 12.5);

        // Act
        var distribution = value.Since(null);

        // Assert
        distribution.UpperBounds.ShouldBe(Bounds);
        distribution.Counts.ShouldBe([3L, 2, 1, 4]);
        distribution.Count.ShouldBe(10);
    }

    [Fact]
    public void Since_Earlier_ReturnsTheDifferencePerBucket()
    {
        // Arrange
        var earlier = new HistogramValue(Bounds, [1, 2, 0, 1], sum: 3);
        var later = new HistogramValue(Bounds, [4, 2, 5, 1], sum: 9);

        // Act
        var distribution = later.Since(earlier);

        // Assert
        distribution.Counts.ShouldBe([3L, 0, 5, 0]);
        distribution.Count.ShouldBe(8);
        distribution.Quantile(0.5)!.Value.ShouldBeInRange(0.5, 1);
    }

    [Fact]
    public void Since_BucketWentDown_TreatsItAsAResetAndReturnsEverything()
    {
        // Arrange
        var earlier = new HistogramValue(Bounds, [5, 5, 5, 5], sum: 20);
        var afterRestart = new HistogramValue(Bounds, [1, 0, 0, 0], sum: 0.05);

        // Act
        var distribution = afterRestart.Since(earlier);

        // Assert
        distribution.Counts.ShouldBe([1L, 0, 0, 0]);
    }

    [Fact]
    public void Since_DifferentBounds_Throws()
    {
        // Arrange
        var earlier = new HistogramValue([0.1, 0.2], [0, 0, 0], sum: 0);
        var later = new HistogramValue(Bounds, [1, 0, 0, 0], sum: 0.05);

        // Act
        var act = () => later.Since(earlier);

        // Assert
        act.ShouldThrow<ArgumentException>().Message.ShouldContain("different bucket bounds");
    }

    [Fact]
    public void Constructor_CountsNotOnePerBoundPlusInf_Throws()
    {
        // Act
        var act = () => new HistogramValue(Bounds, [1, 2, 3], sum: 0);

        // Assert
        act.ShouldThrow<ArgumentException>();
    }

    [Fact]
    public void Count_IsTheSumOfTheBuckets()
    {
        // Act
        var value = new HistogramValue(Bounds, [1, 2, 3, 4], sum: 7);

        // Assert
        value.Count.ShouldBe(10);
        value.Sum.ShouldBe(7);
    }
}
