using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Tests.Signals;

public sealed class LatencyDistributionTests
{
    private static readonly double[] Bounds = [0.1, 0.5, 1];

    [Fact]
    public void Quantile_InsideABucket_InterpolatesLikeHistogramQuantile()
    {
        // 10 in (0, 0.1], 10 in (0.1, 0.5]: the median is the top of the first bucket, p75 halfway through the second.
        var distribution = new LatencyDistribution(Bounds, [10, 10, 0, 0]);

        distribution.Quantile(0.5)!.Value.ShouldBe(0.1, 1e-9);
        distribution.Quantile(0.75)!.Value.ShouldBe(0.3, 1e-9);
    }

    [Fact]
    public void Quantile_InTheInfBucket_ReturnsTheHighestFiniteBound()
    {
        var distribution = new LatencyDistribution(Bounds, [1, 0, 0, 99]);

        distribution.Quantile(0.99).ShouldBe(1);
    }

    [Fact]
    public void Quantile_WithoutObservations_IsNull()
    {
        new LatencyDistribution(Bounds, [0, 0, 0, 0]).Quantile(0.99).ShouldBeNull();
        LatencyDistribution.Empty.Quantile(0.5).ShouldBeNull();
    }

    [Fact]
    public void Add_SameBounds_SumsEachBucket()
    {
        var sum = new LatencyDistribution(Bounds, [1, 2, 3, 4]).Add(new LatencyDistribution(Bounds, [10, 20, 30, 40]));

        sum.Counts.ShouldBe([11, 22, 33, 44]);
        sum.Count.ShouldBe(110);
    }

    [Fact]
    public void Add_Empty_ReturnsTheOtherSide()
    {
        var distribution = new LatencyDistribution(Bounds, [1, 0, 0, 0]);

        LatencyDistribution.Empty.Add(distribution).ShouldBeSameAs(distribution);
        distribution.Add(LatencyDistribution.Empty).ShouldBeSameAs(distribution);
    }

    [Fact]
    public void Add_DifferentBounds_Throws()
    {
        var a = new LatencyDistribution(Bounds, [1, 0, 0, 0]);
        var b = new LatencyDistribution([0.2, 0.5, 1], [1, 0, 0, 0]);

        Should.Throw<ArgumentException>(() => a.Add(b));
    }

    [Fact]
    public void Constructor_WrongCountLength_Throws()
    {
        Should.Throw<ArgumentException>(() => new LatencyDistribution(Bounds, [1, 2, 3]));
    }
}
