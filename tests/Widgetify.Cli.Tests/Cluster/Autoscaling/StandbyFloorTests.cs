using Microsoft.Extensions.Time.Testing;
using Widgetify.Cli.Cluster.Autoscaling;

namespace Widgetify.Cli.Tests.Cluster.Autoscaling;

/// <summary>The coordinator's floor of standbys on snapshots with a fake clock: when a down standby is given up, when one is
/// made, and how failed attempts are paced and bounded.</summary>
public sealed class StandbyFloorTests
{
    private static readonly TimeSpan ReplaceAfter = TimeSpan.FromSeconds(30);
    private const int MaxAttempts = 3;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Decide_StandbyDownWithinTheBound_WaitsForItsSupervisor()
    {
        var down = new Dictionary<string, DateTimeOffset> { ["standby-1"] = _clock.GetUtcNow() };
        _clock.Advance(ReplaceAfter - TimeSpan.FromSeconds(1));

        var step = Decide([Serving("standby-1")], down, min: 1);

        step.Kind.ShouldBe(FloorStepKind.Nothing, "a killed standby is restarted on its port within seconds: no base backup for that");
    }

    [Fact]
    public void Decide_StandbyDownPastTheBound_GivesItUpNamingTheSetting()
    {
        var down = new Dictionary<string, DateTimeOffset> { ["standby-2"] = _clock.GetUtcNow() };
        _clock.Advance(ReplaceAfter);

        var step = Decide([Serving("standby-1"), Serving("standby-2")], down, min: 1);

        step.Kind.ShouldBe(FloorStepKind.GiveUp);
        step.Standby.ShouldBe("standby-2");
        step.Reason.ShouldContain("StandbyReplaceAfter");
    }

    [Fact]
    public void Decide_LeavingStandbyDownPastTheBound_GivesItUpWithoutWaitingForDrains()
    {
        var down = new Dictionary<string, DateTimeOffset> { ["standby-2"] = _clock.GetUtcNow() };
        _clock.Advance(ReplaceAfter);

        var step = Decide([Serving("standby-1"), new RegisteredStandby("standby-2", "127.0.0.1", 5433, StandbyRotation.Leaving)], down, min: 0);

        step.Kind.ShouldBe(FloorStepKind.GiveUp);
        step.Standby.ShouldBe("standby-2");
    }

    [Fact]
    public void Decide_BelowTheFloor_MakesOne()
    {
        var step = Decide([], new Dictionary<string, DateTimeOffset>(), min: 1);

        step.Kind.ShouldBe(FloorStepKind.Replace);
        step.Reason.ShouldContain("below --replicas 1");
    }

    [Fact]
    public void Decide_AtTheFloor_DoesNothing()
    {
        var step = Decide([Serving("standby-1")], new Dictionary<string, DateTimeOffset>(), min: 1);

        step.Kind.ShouldBe(FloorStepKind.Nothing);
    }

    [Fact]
    public void Decide_AfterFailedAttempts_WaitsTheGrowingPauseThenTriesAgain()
    {
        // Two failures in a row: the next waits ServerSupervisor.Backoff(2) = 2 s after the last ended.
        var attempts = new ReplacementAttempts(2, _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromSeconds(1.9));

        var early = Decide([], new Dictionary<string, DateTimeOffset>(), min: 1, attempts);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        var due = Decide([], new Dictionary<string, DateTimeOffset>(), min: 1, attempts);

        early.Kind.ShouldBe(FloorStepKind.Nothing);
        due.Kind.ShouldBe(FloorStepKind.Replace);
        due.Reason.ShouldContain("attempt 3 of 3");
    }

    [Fact]
    public void Decide_AfterTheLastAttemptFailed_StopsTrying()
    {
        var attempts = new ReplacementAttempts(MaxAttempts, _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromHours(1));

        var step = Decide([], new Dictionary<string, DateTimeOffset>(), min: 1, attempts);

        step.Kind.ShouldBe(FloorStepKind.Nothing, "bounded: the coordinator said it gave up and why");
    }

    private FloorStep Decide(
        IReadOnlyList<RegisteredStandby> standbys, IReadOnlyDictionary<string, DateTimeOffset> down, int min, ReplacementAttempts attempts = default) =>
        StandbyFloor.Decide(standbys, down, min, attempts, ReplaceAfter, MaxAttempts, _clock.GetUtcNow());

    private static RegisteredStandby Serving(string name) => new(name, "127.0.0.1", 5432, StandbyRotation.Serving);
}
