using Widgetify.Bench.Reporting;
using Widgetify.Bench.Storm;

namespace Widgetify.Bench.Tests.Storm;

public sealed class ShapeRatesTests
{
    private static readonly StormSettings Settings = new() { ServiceDll = "w.dll", OutputDirectory = "/tmp/o", Overload = 5, BaselinePeakShare = 0.3 };

    [Fact]
    public void Offer_FirstPositivePeakIsTheReference()
    {
        var rates = new ShapeRates(Settings);

        rates.Offer(StormShape.Hot, 5, new CapacityResult(0, true, []));   // a failed ramp sets nothing
        rates.Offer(StormShape.Hot, 4, new CapacityResult(2000, true, []));
        rates.Offer(StormShape.Hot, 6, new CapacityResult(3000, true, []));

        rates.ReferenceNumber(StormShape.Hot).ShouldBe(4);
        rates.ReferencePeak(StormShape.Hot).ShouldBe(2000);
        rates.Baseline(StormShape.Hot).ShouldBe(600);
        rates.Offered(StormShape.Hot).ShouldBe(10_000);
        rates.HasReference(StormShape.List).ShouldBeFalse();
    }

    [Fact]
    public void Rates_GivenOnTheCommandLine_Win()
    {
        var rates = new ShapeRates(Settings with { Capacity = 20, BaselineRate = 40, StormRate = 400 });

        rates.Offer(StormShape.Mixed, 5, new CapacityResult(2000, true, []));

        rates.ReferencePeak(StormShape.Mixed).ShouldBe(20);
        rates.ReferenceNumber(StormShape.Mixed).ShouldBe(0);
        rates.Baseline(StormShape.Mixed).ShouldBe(40);
        rates.Offered(StormShape.Mixed).ShouldBe(400); // max(5 x 20, 400)
    }
}
