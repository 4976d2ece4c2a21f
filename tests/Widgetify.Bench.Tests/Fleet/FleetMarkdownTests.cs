using Widgetify.Bench.Fleet;

namespace Widgetify.Bench.Tests.Fleet;

public sealed class FleetMarkdownTests
{
    [Fact]
    public void MissedGoals_EverythingWithinTheBudgetAndNoRestartFailure_None()
    {
        FleetMarkdown.MissedGoals([Row(FleetRunner.SteadyPhase, peak: 40, budget: 87), Row(FleetRunner.RestartPhase, peak: 87, budget: 87)]).ShouldBeEmpty();
    }

    [Fact]
    public void MissedGoals_InstancesAboveTheBudget_SaysWhereAndByHowMuch()
    {
        var missed = FleetMarkdown.MissedGoals([Row(FleetRunner.SteadyPhase, peak: 88, budget: 87)]).ShouldHaveSingleItem();

        missed.ShouldContain("88 PostgreSQL connections, above the budget of 87");
    }

    [Fact]
    public void MissedGoals_FailuresDuringTheRestart_Missed_ButNotDuringTheKill()
    {
        var missed = FleetMarkdown.MissedGoals([
            Row(FleetRunner.RestartPhase, peak: 40, budget: 87, failed: 2),
            Row(FleetRunner.KillPhase, peak: 40, budget: 87, failed: 5),
        ]).ShouldHaveSingleItem();

        missed.ShouldContain("2 request(s) failed during the rolling restart");
    }

    [Fact]
    public void MissedGoals_UnknownBudgetOrNoSample_Missed()
    {
        FleetMarkdown.MissedGoals([Row(FleetRunner.SteadyPhase, peak: 40, budget: null), Row(FleetRunner.SteadyPhase, peak: -1, budget: 87)]).Count.ShouldBe(2);
    }

    [Fact]
    public void Render_OneRowPerPhaseUnderTheHeader_AndTheGoals()
    {
        var settings = new FleetSettings { ServiceDll = "x", OutputDirectory = "y", CommandLine = "./widgetify bench fleet --quick", InstanceCounts = [1] };

        var text = FleetMarkdown.Render([Row(FleetRunner.SteadyPhase, peak: 88, budget: 87)], settings, "abc123", "Machine: 2 CPUs.");

        var lines = text.Split('\n');
        lines.ShouldContain(FleetMarkdown.Header);
        lines.ShouldContain(l => l.StartsWith("| steady | 1 | 200 | 10.0 | 190.0 | 0.95 | 1.5 | 20.0 | 0 | - | 3 | 88 | 87 | 90 |", StringComparison.Ordinal));
        text.ShouldContain("Goals missed:");
        text.ShouldContain("`./widgetify bench fleet --quick`, service abc123.");
    }

    private static FleetPhaseResult Row(string phase, int peak, int? budget, long failed = 0) =>
        new(phase, 1, 200, 10, 2000, 1900, 1.5, 20, failed, failed > 0 ? "502 x1" : "", 3, peak, peak < 0 ? -1 : peak + 2, budget, "");
}
