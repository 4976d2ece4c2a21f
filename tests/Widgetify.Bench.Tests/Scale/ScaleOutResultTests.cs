using Widgetify.Bench.Scale;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ScaleOutResultTests
{
    [Fact]
    public void Analyze_SurgeScaledOut_SecondsFromTheFirstSaturatedSample()
    {
        // Arrange: a dead standby-1 (port 1000) from before the phase; saturation from 2 s; a decision at 11 s, pending
        // then done at 20 s; the new standby-1 (port 2000) starting, then ready without reads, then serving at 23 s.
        var dead = Standby("standby-1", 1000, "down", reads: 500);
        var pending = Decision(11);
        var done = Decision(11, result: "succeeded", completedAt: 20);
        IReadOnlyList<ScalingSample> samples =
        [
            Sample(-1, 0.2, [Primary(), dead]),
            Sample(1, 0.9, [Primary(), dead]),
            Sample(2, 80, [Primary(), dead]),
            Sample(11.2, 81, [Primary(), dead], [pending]),
            Sample(20.1, 82, [Primary(), dead, Standby("standby-1", 2000, "starting")], [done]),
            Sample(22, 83, [Primary(), dead, Standby("standby-1", 2000)], [done]),
            Sample(23, 84, [Primary(), dead, Standby("standby-1", 2000, reads: 3)], [done]),
        ];

        // Act
        var result = ScaleOutResult.Analyze("surge 1", samples, At(0));

        // Assert
        result.IsComplete.ShouldBeTrue();
        result.Missing.ShouldBeNull();
        result.SecondsToSaturated.ShouldNotBeNull().ShouldBe(2, 1e-6);
        result.SecondsToDecision.ShouldNotBeNull().ShouldBe(9, 1e-6);
        result.Decision.ShouldBe(done, "the decision as the last sample shows it");
        result.SecondsDecisionToCompleted.ShouldNotBeNull().ShouldBe(9, 1e-6);
        result.SecondsToFirstRead.ShouldNotBeNull().ShouldBe(21, 1e-6);
        result.NewStandby.ShouldBe("standby-1 (port 2000)");
    }

    [Fact]
    public void Analyze_OnlyAStandbyFromBeforeServes_NoFirstReadAndSaysWhy()
    {
        var old = Standby("standby-1", 1000, reads: 10);
        IReadOnlyList<ScalingSample> samples =
        [
            Sample(0, 0.2, [Primary(), old]),
            Sample(3, 5, [Primary(), old with { ReadsServed = 20 }], [Decision(2.5)]),
        ];

        var result = ScaleOutResult.Analyze("surge 2", samples, At(1));

        result.IsComplete.ShouldBeFalse();
        result.FirstReadAt.ShouldBeNull();
        result.Missing.ShouldBe("no read served by a new standby");
    }

    [Fact]
    public void Analyze_NeverSaturated_MissingNamesTheFirstThingNotSeen()
    {
        var result = ScaleOutResult.Analyze("surge 1", [Sample(1, 0.7), Sample(2, null)], At(0));

        result.FirstSaturatedAt.ShouldBeNull();
        result.SecondsToDecision.ShouldBeNull();
        result.Missing.ShouldBe("no sample showed saturation above 1");
    }

    [Fact]
    public void Analyze_DecisionFailed_MissingCarriesItsMessage()
    {
        var failed = new ScalingDecision(At(11), "out", 0, 1, "saturated", "failed", "pg_basebackup: no space left", At(12), false);

        var result = ScaleOutResult.Analyze("surge 1", [Sample(1, 5), Sample(12, 5, decisions: [failed])], At(0));

        result.Missing.ShouldBe("the scale-out failed: pg_basebackup: no space left");
    }

    [Fact]
    public void Analyze_DecisionBeforeThePhase_NotThisPhasesDecision()
    {
        var result = ScaleOutResult.Analyze("surge 2", [Sample(11, 5, decisions: [Decision(4, result: "succeeded", completedAt: 6)])], At(10));

        result.Decision.ShouldBeNull();
        result.Missing.ShouldBe("no scale-out decision");
    }

    [Fact]
    public void Analyze_LeaseLapsedForAWhile_CountsTheSamplesNotLeading()
    {
        IReadOnlyList<ScalingSample> samples =
        [
            Sample(1, 2),
            Sample(2, 3, leading: false),
            Sample(2.5, 3, leading: false),
            Sample(4, 5, decisions: [Decision(4)]),
        ];

        var result = ScaleOutResult.Analyze("surge 1", samples, At(0));

        result.SamplesNotLeading.ShouldBe(2);
    }
}
