using Widgetify.Bench.Scale;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ScaleFiguresTests
{
    [Fact]
    public void Evaluate_EveryPhaseWithinItsGoal_EveryFigureMet()
    {
        var figures = SampleScaleReports.AllMet().Figures;

        figures.ShouldNotBeEmpty();
        figures.Where(f => f.Met != true).Select(f => f.Figure).ShouldBeEmpty();
        figures.ShouldContain(f => f.Figure == "surge 1: first saturated second → scale-out decision" && f.Measured.StartsWith("9.0 s", StringComparison.Ordinal));
        figures.ShouldContain(f => f.Figure == "stale reads: largest staleness of a read without the token" && f.Goal == "≤ MaxLag + 2 × PollInterval = 3.0 s");
    }

    [Fact]
    public void Evaluate_SlowScaleOutAndAMissedWrite_ThoseFiguresMissed()
    {
        var report = SampleScaleReports.AllMet();
        var slow = report.ScaleOuts[0] with { FirstReadAt = At(31.5) };
        var consistency = report.Consistency! with { Missed = 1 };

        var figures = ScaleFigures.Evaluate(report with { ScaleOuts = [slow], Consistency = consistency });

        figures.Where(f => f.Met == false).Select(f => f.Figure).ShouldBe(
        [
            "surge 1: first saturated second → first read served by the new standby",
            "stale reads: write-then-read pairs with the token that missed their own write",
        ]);
    }

    [Fact]
    public void Evaluate_PhasesThatDidNotRun_MissedWithTheReasonNotLeftOut()
    {
        var report = SampleScaleReports.AllMet() with
        {
            ScaleOuts = [new ScaleOutResult { Phase = "surge 1", PhaseStart = At(0), FirstSaturatedAt = At(1) }],
            Kill = null,
            Consistency = null,
            ScaleIn = null,
            Misses = ["stale reads: no standby was in rotation within 15 s after surge 1, so there is no replay to pause"],
        };

        var figures = ScaleFigures.Evaluate(report);

        figures.Single(f => f.Figure == "surge 1: first saturated second → scale-out decision").Measured.ShouldBe("not measured: no scale-out decision");
        figures.Single(f => f.Figure.StartsWith("stale reads: write-then-read", StringComparison.Ordinal)).Measured.ShouldContain("no standby was in rotation");
        figures.Single(f => f.Figure.StartsWith("kill -9 of the standby", StringComparison.Ordinal)).Measured.ShouldBe("not measured: the phase did not run");
        figures.Single(f => f.Figure == "scale-in: decided").Met.ShouldBe(false);
        figures.Where(f => f.Met != false).Select(f => f.Figure).ShouldBe(["the service ran through every phase", "surge 1: errors other than a shed 503 (scale-out under way)"]);
    }

    [Fact]
    public void Evaluate_ReadsNotSentOrTimedOutDuringTheSurge_ErrorsMissed()
    {
        var report = SampleScaleReports.AllMet();
        var surge = report.Phases[0] with { Load = report.Phases[0].Load! with { NotSent = 12, Timeouts = 1 } };

        var figures = ScaleFigures.Evaluate(report with { Phases = [surge, .. report.Phases.Skip(1)] });

        var errors = figures.Single(f => f.Figure == "surge 1: errors other than a shed 503 (scale-out under way)");
        errors.Met.ShouldBe(false);
        errors.Measured.ShouldContain("1 timeouts, 0 connection errors, 12 not sent");
    }

    [Fact]
    public void Evaluate_ServiceExitedByItself_FirstFigureMissedWithTheExitCode()
    {
        var figures = ScaleFigures.Evaluate(SampleScaleReports.AllMet() with { ServiceExitCode = 1 });

        var first = figures[0];
        (first.Figure, first.Met).ShouldBe(("the service ran through every phase", false));
        first.Measured.ShouldContain("exited by itself with code 1");
    }

    [Fact]
    public void Evaluate_StalenessBeyondTheBound_Missed()
    {
        var report = SampleScaleReports.AllMet();

        var figures = ScaleFigures.Evaluate(report with { Consistency = report.Consistency! with { MaxStalenessSeconds = 3.2 } });

        figures.Single(f => f.Figure == "stale reads: largest staleness of a read without the token").Met.ShouldBe(false);
    }
}
