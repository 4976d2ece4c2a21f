using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Tests.Measurement;

public sealed class LatencyHistogramTests
{
    public static TheoryData<long> Values => new() { 0, 1, 127, 255, 256, 257, 511, 512, 1000, 1_234_567, 60_000_000, LatencyHistogram.MaxValue };

    [Theory]
    [MemberData(nameof(Values))]
    public void IndexOf_AnyValue_FallsWithinItsBucketBounds(long value)
    {
        var index = LatencyHistogram.IndexOf(value);

        LatencyHistogram.LowerBound(index).ShouldBeLessThanOrEqualTo(value);
        LatencyHistogram.UpperBound(index).ShouldBeGreaterThanOrEqualTo(value);
    }

    [Fact]
    public void Buckets_EveryBucket_AtMostOnePercentWide()
    {
        for (var index = 256; index <= LatencyHistogram.IndexOf(LatencyHistogram.MaxValue); index++)
        {
            var lower = LatencyHistogram.LowerBound(index);
            var width = LatencyHistogram.UpperBound(index) - lower + 1;

            (width / (double)lower).ShouldBeLessThanOrEqualTo(0.01, $"bucket {index} [{lower}, +{width})");
            LatencyHistogram.IndexOf(lower).ShouldBe(index);
            LatencyHistogram.IndexOf(lower - 1).ShouldBe(index - 1);
        }
    }

    [Theory]
    [InlineData(50)]
    [InlineData(99)]
    [InlineData(99.9)]
    [InlineData(100)]
    public void ValueAtPercentile_SpreadOfValues_WithinOnePercentOfExact(double percentile)
    {
        var histogram = new LatencyHistogram();
        var values = new List<long>();
        var random = new Random(7);
        for (var i = 0; i < 50_000; i++)
        {
            // Log-uniform from 100 µs to 10 s, like latencies of a storm.
            var value = (long)Math.Pow(10, 2 + (random.NextDouble() * 5));
            values.Add(value);
            histogram.Record(value);
        }

        values.Sort();
        var exact = values[(int)Math.Ceiling(percentile / 100 * values.Count) - 1];

        var reported = histogram.ValueAtPercentile(percentile);

        reported.ShouldBeGreaterThanOrEqualTo(exact);
        ((reported - exact) / (double)exact).ShouldBeLessThanOrEqualTo(0.01);
    }

    [Fact]
    public void ValueAtPercentile_Empty_ReturnsZero()
    {
        new LatencyHistogram().ValueAtPercentile(99).ShouldBe(0);
    }

    [Fact]
    public void ValueAtPercentile_SmallValues_Exact()
    {
        var histogram = new LatencyHistogram();
        for (var v = 1; v <= 100; v++)
        {
            histogram.Record(v);
        }

        histogram.ValueAtPercentile(50).ShouldBe(50);
        histogram.ValueAtPercentile(99).ShouldBe(99);
        histogram.ValueAtPercentile(100).ShouldBe(100);
    }

    [Fact]
    public void Record_NegativeOrHuge_ClampedToRange()
    {
        var histogram = new LatencyHistogram();

        histogram.Record(-5);
        histogram.Record(long.MaxValue);

        histogram.Count.ShouldBe(2);
        histogram.ValueAtPercentile(1).ShouldBe(0);
        histogram.Max.ShouldBe(LatencyHistogram.MaxValue);
    }

    [Fact]
    public void Record_ConcurrentWriters_CountsEveryValue()
    {
        var histogram = new LatencyHistogram();

        Parallel.For(0, 100_000, i => histogram.Record(i % 1000));

        histogram.Count.ShouldBe(100_000);
        histogram.Max.ShouldBe(999);
        histogram.ValueAtPercentile(100).ShouldBe(999);
    }

    [Fact]
    public void Add_TwoHistograms_MergesCountsAndMax()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(10);
        b.Record(20_000);
        b.Record(30);

        a.Add(b);

        a.Count.ShouldBe(3);
        a.Max.ShouldBe(20_000);
        a.ValueAtPercentile(50).ShouldBe(30);
    }
}
