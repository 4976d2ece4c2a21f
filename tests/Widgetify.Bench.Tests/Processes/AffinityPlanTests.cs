using Widgetify.Bench.Processes;

namespace Widgetify.Bench.Tests.Processes;

public sealed class AffinityPlanTests
{
    [Fact]
    public void For_TwoCores_GeneratorOnZeroServiceOnOne()
    {
        var plan = AffinityPlan.For(2, enabled: true);

        plan.Pinned.ShouldBeTrue();
        plan.GeneratorCores.ShouldBe("0");
        plan.ServiceCores.ShouldBe("1");
    }

    [Fact]
    public void For_FourCores_ServiceGetsTheRest()
    {
        AffinityPlan.For(4, enabled: true).ServiceCores.ShouldBe("1-3");
    }

    [Fact]
    public void For_OneCore_NotPinnedAndSaysSo()
    {
        var plan = AffinityPlan.For(1, enabled: true);

        plan.Pinned.ShouldBeFalse();
        plan.ServiceCores.ShouldBeNull();
        plan.Reason.ShouldContain("measured");
    }

    [Fact]
    public void For_TurnedOff_NotPinned()
    {
        var plan = AffinityPlan.For(8, enabled: false);

        plan.Pinned.ShouldBeFalse();
        plan.Reason.ShouldContain("--no-pin");
    }
}
