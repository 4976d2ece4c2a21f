using Widgetify.Bench.Fleet;

namespace Widgetify.Bench.Tests.Fleet;

public sealed class FleetMarkdownTests
{
    [Fact]
    public void MissedGoals_EverythingWithinTheBudgetAndNoRestartFailure_None()
    {
        MissedGoals([Row(FleetRunner.SteadyPhase, peak: 40, budget: 87), Restart(peak: 87, budget: 87)]).ShouldBeEmpty();
    }

    [Fact]
    public void MissedGoals_InstancesAboveTheBudget_SaysWhereAndByHowMuch()
    {
        var missed = MissedGoals([Row(FleetRunner.SteadyPhase, peak: 88, budget: 87)]).ShouldHaveSingleItem();

        missed.ShouldContain("88 PostgreSQL connections, above the budget of 87");
    }

    [Fact]
    public void MissedGoals_FailuresDuringTheRestart_Missed_ButNotDuringTheKill()
    {
        var missed = MissedGoals([
            Restart(peak: 40, budget: 87, failed: 2),
            Row(FleetRunner.KillPhase, peak: 40, budget: 87, failed: 5),
        ]).ShouldHaveSingleItem();

        missed.ShouldContain("2 request(s) failed during the rolling restart");
    }

    [Fact]
    public void MissedGoals_ShedDuringTheRestart_Missed_ButNotDuringSteady()
    {
        var missed = MissedGoals([Row(FleetRunner.SteadyPhase, peak: 40, budget: 87, shed: 30), Restart(peak: 40, budget: 87, shed: 9)]).ShouldHaveSingleItem();

        missed.ShouldContain("9 request(s) were shed (503 with Retry-After) during the rolling restart");
    }

    [Fact]
    public void MissedGoals_RestartExitedNonZero_Missed()
    {
        var missed = MissedGoals([Restart(peak: 40, budget: 87) with { RestartExitCode = 1, RestartSeconds = 4.2 }]).ShouldHaveSingleItem();

        missed.ShouldContain("'cluster restart' of 1 instances exited with 1 after 4.2 s");
    }

    [Fact]
    public void MissedGoals_RestartNotRun_Missed()
    {
        MissedGoals([Restart(peak: 40, budget: 87) with { RestartExitCode = null, RestartSeconds = null }]).ShouldHaveSingleItem().ShouldContain("did not run to its end");
    }

    [Fact]
    public void MissedGoals_RestartPastTheBound_Missed()
    {
        var missed = MissedGoals([Restart(peak: 40, budget: 87) with { RestartSeconds = Bound.TotalSeconds + 1 }]).ShouldHaveSingleItem();

        missed.ShouldContain("past the phase's bound of 60 s");
    }

    [Fact]
    public void MissedGoals_UnknownBudgetOrNoSample_Missed()
    {
        MissedGoals([Row(FleetRunner.SteadyPhase, peak: 40, budget: null), Row(FleetRunner.SteadyPhase, peak: -1, budget: 87)]).Count.ShouldBe(2);
    }

    [Fact]
    public void Render_OneRowPerPhaseUnderTheHeader_AndTheGoals()
    {
        var settings = new FleetSettings { ServiceDll = "x", OutputDirectory = "y", CommandLine = "./widgetify bench fleet --quick", InstanceCounts = [1] };

        var text = FleetMarkdown.Render([Row(FleetRunner.SteadyPhase, peak: 88, budget: 87)], settings, "abc123", "Machine: 2 CPUs.");

        var lines = text.Split('\n');
        lines.ShouldContain(FleetMarkdown.Header);
        lines.ShouldContain(l => l.StartsWith("| steady | 1 | 200 | 10.0 | 190.0 | 0.95 | 1.5 | 20.0 | 0 | - | 3 | - | 88 | 87 | 90 |", StringComparison.Ordinal));
        text.ShouldContain("Goals missed:");
        text.ShouldContain("`./widgetify bench fleet --quick`, service abc123.");
    }

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static IReadOnlyList<string> MissedGoals(IReadOnlyList<FleetPhaseResult> results) => FleetMarkdown.MissedGoals(results, Bound);

    private static FleetPhaseResult Row(string phase, int peak, int? budget, long failed = 0, long shed = 3) =>
        new(phase, 1, 200, 10, 2000, 1900, 1.5, 20, failed, failed > 0 ? "502 x1" : "", shed, peak, peak < 0 ? -1 : peak + 2, budget, "");

    /// <summary>A rolling restart that ran to its end within the bound: exit code 0 after 20 s, nothing shed unless said.</summary>
    private static FleetPhaseResult Restart(int peak, int? budget, long failed = 0, long shed = 0) =>
        Row(FleetRunner.RestartPhase, peak, budget, failed, shed) with { RestartExitCode = 0, RestartSeconds = 20 };
}
