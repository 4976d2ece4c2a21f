using Widgetify.Bench.Storm;
using Widgetify.Bench.Tests.Reporting;
using Widgetify.Overload.PoolGovernance;

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

    [Fact]
    public void EvaluateDetection_AlertAt3MitigatedAt7ResolvedWithDraft_AllMet()
    {
        var configuration = SampleReports.Configuration(5, 950, 12).With(SampleReports.Detection(alertAfter: 3.2, mitigatedAfter: 7.4, resolvedAfter: 41));

        var checks = StormTargets.EvaluateDetection(configuration);

        checks.Select(c => c.Target).ShouldBe([StormTargets.AlertTarget, StormTargets.MitigationTarget, StormTargets.PostmortemTarget]);
        checks.ShouldAllBe(c => c.Met == true);
        checks[0].Detail.ShouldBe("SheddingActive fired 3.2 s after onset");
        checks[1].Detail.ShouldBe("mitigated 7.4 s after onset (incident 019aa6b1)");
        checks[2].Detail.ShouldContain("postmortems/20261121-1000-019aa6b1.md");
    }

    [Theory]
    [InlineData(5.0, 10.0, true, true)]
    [InlineData(5.1, 10.1, false, false)]
    public void EvaluateDetection_AtAndJustOverTheLimits_MetThenMissed(double alertAfter, double mitigatedAfter, bool alertMet, bool mitigationMet)
    {
        var checks = StormTargets.EvaluateDetection(
            SampleReports.Configuration(1, 100, 4000).With(SampleReports.Detection(alertAfter: alertAfter, mitigatedAfter: mitigatedAfter)));

        checks[0].Met.ShouldBe(alertMet);
        checks[1].Met.ShouldBe(mitigationMet);
    }

    [Fact]
    public void EvaluateDetection_NoAlertNoIncident_AllMissedWithWhatWasSeen()
    {
        var checks = StormTargets.EvaluateDetection(
            SampleReports.Configuration(1, 100, 4000).With(SampleReports.Detection(alertAfter: null, incident: false) with { OpenAtOnset = ["019aa6af: ResponseTimeSpike"] }));

        checks.ShouldAllBe(c => c.Met == false);
        checks[0].Detail.ShouldContain("already firing at onset: ConnectionWaits");
        checks[0].Detail.ShouldContain("4 of 180 polling requests failed");
        checks[1].Detail.ShouldContain("no incident opened; an earlier incident was still open at onset");
    }

    [Fact]
    public void EvaluateDetection_NotResolvedWithinTheWait_PostmortemNotJudged()
    {
        var checks = StormTargets.EvaluateDetection(
            SampleReports.Configuration(5, 950, 12).With(SampleReports.Detection(mitigatedAfter: null, resolvedAfter: null)));

        checks[1].Met.ShouldBe(false);
        checks[1].Detail.ShouldBe("incident 019aa6b1 not mitigated within 45 s of onset");
        checks[2].Met.ShouldBeNull();
        checks[2].Detail.ShouldBe("not judged: incident 019aa6b1 not resolved within 45 s of onset; still active: ErrorBudgetBurn (firing)");
    }

    [Fact]
    public void EvaluateDetection_ResolvedWithoutDraft_PostmortemMissed()
    {
        var checks = StormTargets.EvaluateDetection(SampleReports.Configuration(5, 950, 12).With(SampleReports.Detection(postmortem: false)));

        checks[2].Met.ShouldBe(false);
        checks[2].Detail.ShouldStartWith("missing: incident resolved 41.0 s after onset");
    }

    [Fact]
    public void EvaluateDetection_NotMeasured_AllMissedWithTheReason()
    {
        var checks = StormTargets.EvaluateDetection(
            SampleReports.Configuration(5, 950, 12).With(new Widgetify.Bench.Reporting.DetectionResult { NotMeasured = "no operator key" }));

        checks.Count.ShouldBe(3);
        checks.ShouldAllBe(c => c.Met == false && c.Detail == "not measured: no operator key");
    }

    [Fact]
    public void EvaluateDetection_FailedConfiguration_Empty()
    {
        StormTargets.EvaluateDetection(SampleReports.Failed(2, "did not start")).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_WidgetifyWithDetection_DetectionChecksAppended()
    {
        var widgetify = SampleReports.Configuration(5, 950, 12, recover: 1, peakPg: 80).With(SampleReports.Detection());

        var checks = StormTargets.Evaluate(widgetify, [widgetify], 1000, 87, true);

        checks.Count.ShouldBe(9);
        checks.TakeLast(3).Select(c => c.Target).ShouldBe([StormTargets.AlertTarget, StormTargets.MitigationTarget, StormTargets.PostmortemTarget]);
    }
}
