using Widgetify.Bench.Storm;
using Widgetify.Bench.Tests.Reporting;
using Widgetify.Reliability.PoolGovernance;

namespace Widgetify.Bench.Tests.Storm;

public sealed class StormTargetsTests
{
    [Fact]
    public void Evaluate_GoodRun_AllMet()
    {
        var widgetify = SampleReports.Configuration(5, stormGoodput: 950, stormP99: 12, recover: 1, peakPg: 80, baselineP99: 5);
        var feb15 = SampleReports.Configuration(1, stormGoodput: 100, stormP99: 4000);

        var checks = StormTargets.Evaluate(widgetify, [feb15, widgetify], capacity: 1000, budget: 87, budgetReported: true);

        checks.Count.ShouldBe(6);
        checks.ShouldAllBe(c => c.Met == true);
    }

    [Fact]
    public void Evaluate_EachShortfall_Missed()
    {
        var widgetify = SampleReports.Configuration(5, stormGoodput: 800, stormP99: 16, stormErrors: 3, recover: 3, peakPg: 90, baselineP99: 5);
        var rival = SampleReports.Configuration(2, stormGoodput: 850, stormP99: 4000);

        var checks = StormTargets.Evaluate(widgetify, [rival, widgetify], capacity: 1000, budget: 87, budgetReported: false);

        checks.ShouldAllBe(c => c.Met == false);
        checks[2].Detail.ShouldContain("3 non-503 statuses");
        checks[3].Detail.ShouldContain("computed");
        checks[5].Detail.ShouldContain("2 (850 req/s");
    }

    [Fact]
    public void Evaluate_NoRivalMeasured_AheadCheckNotJudged()
    {
        var widgetify = SampleReports.Configuration(5, 950, 12);

        var checks = StormTargets.Evaluate(widgetify, [widgetify, SampleReports.Failed(1, "x")], 1000, 87, true);

        checks[^1].Met.ShouldBeNull();
    }

    [Fact]
    public void Evaluate_WidgetifyNotRun_NoChecks()
    {
        StormTargets.Evaluate(null, [], 1000, 87, false).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_WidgetifyFailed_OneMissedCheckWithTheReason()
    {
        var checks = StormTargets.Evaluate(SampleReports.Failed(5, "did not start"), [], 1000, 87, false);

        checks.Single().Met.ShouldBe(false);
        checks.Single().Detail.ShouldBe("did not start");
    }

    [Theory]
    [InlineData(0, 87)]
    [InlineData(5, 82)]
    public void ComputedBudget_DefaultReservation_ServiceRule(int reservedConnections, int expected)
    {
        StormTargets.ComputedBudget(new ServerConnectionLimits(MaxConnections: 100, SuperuserReservedConnections: 3, reservedConnections)).ShouldBe(expected);
    }
}
