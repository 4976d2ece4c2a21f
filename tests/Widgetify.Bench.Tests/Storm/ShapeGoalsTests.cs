using Widgetify.Bench.Reporting;
using Widgetify.Bench.Storm;
using Widgetify.Bench.Tests.Reporting;

namespace Widgetify.Bench.Tests.Storm;

public sealed class ShapeGoalsTests
{
    [Fact]
    public void Evaluate_GoodRun_EveryGoalMet()
    {
        var shape = Shape(
            Run(5, peak: 1000, goodput: 950, stormP99: 20, baselineP99: 5, cpuMs: 0.100),
            Run(3, peak: 900, goodput: 600, stormP99: 400),
            Run(4, peak: 1200, goodput: 700, stormP99: 300),
            Run(6, peak: 1010, goodput: 500, stormP99: 900, cpuMs: 0.099));

        var goals = ShapeGoals.Evaluate(shape);

        goals.Count.ShouldBe(7);
        goals.ShouldAllBe(g => g.Met == true, string.Join("; ", goals.Select(g => g.Target + ": " + g.Detail)));
    }

    [Fact]
    public void Evaluate_EachShortfall_Missed()
    {
        var shape = Shape(
            Run(5, peak: 1000, goodput: 400, stormP99: 600, baselineP99: 5, recover: 3, errors: 12, peakPg: 95, cpuMs: 0.2),
            Run(4, peak: 2000, goodput: 1500, stormP99: 300),
            Run(6, peak: 1100, goodput: 300, stormP99: 900, cpuMs: 0.1));

        var goals = ShapeGoals.Evaluate(shape);

        goals.ShouldAllBe(g => g.Met == false, string.Join("; ", goals.Select(g => g.Target + ": " + g.Detail)));
        goals[0].Detail.ShouldContain("min(1000, 5000) = 1000");
        goals[0].Detail.ShouldContain("k = 5.0");
        goals[1].Detail.ShouldContain("only 4 of 3 and 4 measured");
        goals[4].Detail.ShouldContain("12 (12 of them not sent");
    }

    [Fact]
    public void Evaluate_OfferedBelowPeak_JudgedAgainstOffered()
    {
        // k < 1: nothing more than what was offered can be served.
        var shape = Shape(Run(5, peak: 10_000, goodput: 4_600, stormP99: 10, baselineP99: 5, offered: 5_000));

        var goals = ShapeGoals.Evaluate(shape);

        goals[0].Met.ShouldBe(true);
        goals[0].Detail.ShouldContain("min(10000, 5000) = 5000");
    }

    [Fact]
    public void Evaluate_NoRivalsNoUnguarded_NotJudged()
    {
        var goals = ShapeGoals.Evaluate(Shape(Run(5, peak: 1000, goodput: 950, stormP99: 20, baselineP99: 5)));

        goals[1].Met.ShouldBeNull();
        goals[6].Met.ShouldBeNull();
    }

    [Fact]
    public void Evaluate_WidgetifyNotRun_NotJudged()
    {
        var goals = ShapeGoals.Evaluate(Shape(Run(4, peak: 1000, goodput: 950, stormP99: 20)));

        goals.ShouldHaveSingleItem().Met.ShouldBeNull();
    }

    [Fact]
    public void Evaluate_WidgetifyFailed_Missed()
    {
        var goals = ShapeGoals.Evaluate(Shape(new ShapeRun { Number = 5, Name = "Widgetify", Failure = "did not start" }));

        goals.ShouldHaveSingleItem().Met.ShouldBe(false);
    }

    [Theory]
    [InlineData(0.103, 1000, 1000, true)]   // 3% more CPU per request: at the goal
    [InlineData(0.104, 1000, 1000, false)]  // 4%
    [InlineData(0.100, 960, 1000, false)]   // 4% less peak
    [InlineData(0.100, 970, 1000, true)]
    public void Overhead_CpuAndPeak_BothWithinThreePercent(double guardedCpu, double guardedPeak, double unguardedPeak, bool met)
    {
        var overhead = new GuardOverhead(1, 1, 5, 5, guardedCpu, 0.100, guardedPeak, unguardedPeak);

        ShapeGoals.Overhead(overhead).Met.ShouldBe(met);
    }

    [Fact]
    public void OverheadOf_GuardedAndUnguarded_TakesBaselineAndPeaks()
    {
        var overhead = ShapeGoals.OverheadOf([Run(5, peak: 900, goodput: 1, stormP99: 1, baselineP99: 6, cpuMs: 0.2), Run(6, peak: 1000, goodput: 1, stormP99: 1, baselineP99: 4, cpuMs: 0.1)])
            .ShouldNotBeNull();

        overhead.PeakRatio!.Value.ShouldBe(0.9, 1e-9);
        overhead.CpuRatio!.Value.ShouldBe(2, 1e-9);
        overhead.P99Ratio!.Value.ShouldBe(1.5, 1e-9);
    }

    [Fact]
    public void OverheadOf_UnguardedMissing_Null()
    {
        ShapeGoals.OverheadOf([Run(5, peak: 900, goodput: 1, stormP99: 1)]).ShouldBeNull();
    }

    private static ShapeReport Shape(params ShapeRun[] runs)
    {
        var report = new ShapeReport
        {
            Shape = "hot",
            Description = "GET /w/{id} of one widget",
            ReferenceNumber = 5,
            ReferencePeak = 1000,
            BaselineRate = 300,
            OfferedRate = 5000,
            Runs = runs,
            GuardOverhead = ShapeGoals.OverheadOf(runs),
        };
        return report;
    }

    internal static ShapeRun Run(
        int number, double peak, double goodput, double stormP99, double baselineP99 = 5, int? recover = 1, long errors = 0, int peakPg = 30,
        double? cpuMs = null, double offered = 5000)
    {
        var seconds = 10;
        var storm = SampleReports.Phase("storm", goodput, stormP99, shed: 1000, notSent: errors, seconds: seconds) with { OfferedRate = offered };
        var baseline = SampleReports.Phase("baseline", 300, baselineP99, seconds: seconds);
        return new ShapeRun
        {
            Number = number,
            Name = $"config {number}",
            Peak = peak,
            Baseline = baseline,
            Storm = storm,
            Recovery = SampleReports.Phase("recovery", 300, baselineP99, seconds: seconds),
            SecondsToRecover = recover,
            PeakPgConnections = peakPg,
            Budget = 87,
            // Service cores in the baseline such that CPU per request = cpuMs at 300 req/s.
            Cores = cpuMs is { } ms
                ? new Dictionary<string, IReadOnlyDictionary<string, double>> { ["baseline"] = new Dictionary<string, double> { ["service"] = ms * 300 / 1000 } }
                : new Dictionary<string, IReadOnlyDictionary<string, double>>(),
        };
    }
}
