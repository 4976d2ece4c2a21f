using Microsoft.Extensions.Time.Testing;
using Widgetify.Cli.Cluster.Autoscaling;

namespace Widgetify.Cli.Tests.Cluster.Autoscaling;

/// <summary>The coordinator's decide step on snapshots: what it does for an ask, and when a leaving standby may be stopped.</summary>
public sealed class StandbyPlanTests
{
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(45);
    private static readonly HashSet<string> BothInstances = ["api-1", "api-2"];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 4, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Decide_NothingAsked_DoesNothing()
    {
        var step = Decide(null, [Serving("standby-1")]);

        step.Kind.ShouldBe(StandbyStepKind.Nothing);
    }

    [Fact]
    public void Decide_AskAlreadyAnswered_DoesNothing()
    {
        var step = Decide(Ask(1, requestId: 3, handledId: 3), []);

        step.Kind.ShouldBe(StandbyStepKind.Nothing);
    }

    [Fact]
    public void Decide_AskAboveServing_AddsOne()
    {
        var step = Decide(Ask(2), [Serving("standby-1")]);

        step.Kind.ShouldBe(StandbyStepKind.Add);
    }

    [Fact]
    public void Decide_AskReached_AnswersWithTheCount()
    {
        var step = Decide(Ask(2), [Serving("standby-1"), Serving("standby-2")]);

        step.Kind.ShouldBe(StandbyStepKind.Complete);
        step.Reason.ShouldContain("2 standby(s) serving");
    }

    [Fact]
    public void Decide_AskBelowServing_MarksTheHighestNumberedLeaving()
    {
        var step = Decide(Ask(1), [Serving("standby-2"), Serving("standby-10"), Serving("standby-1")], min: 0);

        step.Kind.ShouldBe(StandbyStepKind.MarkLeaving);
        step.Standby.ShouldBe("standby-10");
    }

    [Fact]
    public void Decide_LeavingNotDrainedByEveryInstanceWithinTheBound_Waits()
    {
        var leaving = Leaving("standby-2", since: _clock.GetUtcNow(), drainedBy: ["api-1"]);
        _clock.Advance(DrainBound - TimeSpan.FromSeconds(1));

        var step = Decide(Ask(1), [Serving("standby-1"), leaving]);

        step.Kind.ShouldBe(StandbyStepKind.Nothing, "reached in count, but standby-2 still serves api-2's reads: answered once it is gone");
    }

    [Fact]
    public void Decide_LeavingDrainedByEveryRunningInstance_RemovesIt()
    {
        var leaving = Leaving("standby-2", since: _clock.GetUtcNow(), drainedBy: ["api-1", "api-2"]);

        var step = Decide(Ask(1), [Serving("standby-1"), leaving]);

        step.Kind.ShouldBe(StandbyStepKind.Remove);
        step.Standby.ShouldBe("standby-2");
    }

    [Fact]
    public void Decide_LeavingNotDrainedByAnInstanceThatIsNotRunning_DoesNotWaitForIt()
    {
        var leaving = Leaving("standby-2", since: _clock.GetUtcNow(), drainedBy: ["api-1"]);

        var step = StandbyPlan.Decide(Ask(1), [Serving("standby-1"), leaving], new HashSet<string> { "api-1" }, 0, 2, DrainBound, _clock.GetUtcNow());

        step.Kind.ShouldBe(StandbyStepKind.Remove, "api-2's process is gone (being started again): its new process never had standby-2");
    }

    [Fact]
    public void Decide_LeavingPastTheDrainBound_RemovesItNamingWhoDidNotDrain()
    {
        var leaving = Leaving("standby-2", since: _clock.GetUtcNow(), drainedBy: ["api-1"]);
        _clock.Advance(DrainBound);

        var step = Decide(null, [Serving("standby-1"), leaving]);

        step.Kind.ShouldBe(StandbyStepKind.Remove, "a hung instance must not keep a server forever, even with no ask pending");
        step.Reason.ShouldContain("api-2");
        step.Reason.ShouldContain("StandbyDrainBound");
    }

    [Fact]
    public void Decide_AskOutsideTheBounds_FailsNamingThem()
    {
        var step = Decide(Ask(3), [Serving("standby-1")], min: 1, max: 2);

        step.Kind.ShouldBe(StandbyStepKind.Fail);
        step.Reason.ShouldContain("1 to 2");
    }

    [Fact]
    public void Decide_AskWithoutMaxReplicas_FailsSayingHowToTurnItOn()
    {
        var step = StandbyPlan.Decide(Ask(2), [], BothInstances, 0, null, DrainBound, _clock.GetUtcNow());

        step.Kind.ShouldBe(StandbyStepKind.Fail);
        step.Reason.ShouldContain("--max-replicas");
    }

    private StandbyStep Decide(ScalingRequest? request, IReadOnlyList<RegisteredStandby> standbys, int min = 0, int max = 2) =>
        StandbyPlan.Decide(request, standbys, BothInstances, min, max, DrainBound, _clock.GetUtcNow());

    private static ScalingRequest Ask(int desired, long requestId = 2, long handledId = 1) =>
        new(desired, requestId, "api-1", handledId, null, null);

    private static RegisteredStandby Serving(string name) => new(name, "127.0.0.1", 5432, StandbyRotation.Serving);

    private static RegisteredStandby Leaving(string name, DateTimeOffset since, string[] drainedBy) =>
        new(name, "127.0.0.1", 5432, StandbyRotation.Leaving) { LeavingSince = since, DrainedBy = drainedBy.ToHashSet(StringComparer.Ordinal) };
}
