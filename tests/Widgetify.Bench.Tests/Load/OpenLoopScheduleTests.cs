using Widgetify.Bench.Load;

namespace Widgetify.Bench.Tests.Load;

public sealed class OpenLoopScheduleTests
{
    [Fact]
    public void DueBy_ConstantRate_OneRequestEveryInterval()
    {
        var schedule = new OpenLoopSchedule([new LoadSegment(Phase.Baseline, 2, 10)]);

        schedule.DueBy(-0.001).ShouldBe(0);
        schedule.DueBy(0).ShouldBe(1);      // the first is due at once
        schedule.DueBy(0.099).ShouldBe(1);
        schedule.DueBy(0.1).ShouldBe(2);
        schedule.DueBy(1.95).ShouldBe(20);
        schedule.DueBy(60).ShouldBe(20);
        schedule.TotalRequests.ShouldBe(20);
    }

    [Fact]
    public void DueBy_SlowService_DoesNotSlowArrivals()
    {
        // Open loop: what is due depends on the clock only, never on what was answered.
        var schedule = new OpenLoopSchedule([new LoadSegment(Phase.Storm, 10, 1000)]);

        schedule.DueBy(5).ShouldBe(5001);
    }

    [Fact]
    public void DueAt_Segments_EachStartsWhereThePreviousEnded()
    {
        var schedule = new OpenLoopSchedule(
        [
            new LoadSegment(Phase.Baseline, 2, 2),
            new LoadSegment(Phase.Storm, 1, 100),
            new LoadSegment(Phase.Recovery, 2, 2),
        ]);

        schedule.TotalRequests.ShouldBe(4 + 100 + 4);
        schedule.DueAt(3, out var first).ShouldBe(1.5);
        first.ShouldBe(0);
        schedule.DueAt(4, out var storm).ShouldBe(2);
        storm.ShouldBe(1);
        schedule.DueAt(103, out _).ShouldBe(2.99, 1e-9);
        schedule.DueAt(104, out var recovery).ShouldBe(3);
        recovery.ShouldBe(2);
        schedule.DueBy(2.5).ShouldBe(4 + 51);
    }

    [Fact]
    public void DueBy_EveryRequest_ConsistentWithDueAt()
    {
        var schedule = new OpenLoopSchedule(
        [
            new LoadSegment(Phase.Warmup, 1, 3),
            new LoadSegment(Phase.Baseline, 2, 7.5),
            new LoadSegment(Phase.Storm, 1, 333),
        ]);

        for (long i = 0; i < schedule.TotalRequests; i++)
        {
            var due = schedule.DueAt(i, out _);
            schedule.DueBy(due + 1e-9).ShouldBeGreaterThanOrEqualTo(i + 1);
            schedule.DueBy(due - 1e-6).ShouldBeLessThanOrEqualTo(i);
        }
    }

    [Fact]
    public void TotalRequests_FractionalRate_RoundsUpPerSegment()
    {
        // Due at 0, 0.4 and 0.8 s.
        new OpenLoopSchedule([new LoadSegment(Phase.Baseline, 1, 2.5)]).TotalRequests.ShouldBe(3);
    }

    [Fact]
    public void TotalRequests_ZeroSecondSegment_Skipped()
    {
        var schedule = new OpenLoopSchedule([new LoadSegment(Phase.Warmup, 0, 5), new LoadSegment(Phase.Baseline, 1, 5)]);

        schedule.TotalRequests.ShouldBe(5);
        schedule.DueAt(0, out var segment).ShouldBe(0);
        segment.ShouldBe(1);
    }

    [Fact]
    public void Constructor_ZeroRate_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new OpenLoopSchedule([new LoadSegment(Phase.Storm, 1, 0)]));
    }

    [Fact]
    public void StartOf_StormAfterWarmupAndBaseline_SumOfTheirSeconds()
    {
        var schedule = new OpenLoopSchedule(
        [
            new LoadSegment(Phase.Warmup, 2, 100),
            new LoadSegment(Phase.Baseline, 10, 100),
            new LoadSegment(Phase.Storm, 15, 5000),
            new LoadSegment(Phase.Recovery, 15, 100),
        ]);

        schedule.StartOf(Phase.Storm).ShouldBe(12);
        schedule.StartOf(Phase.Warmup).ShouldBe(0);
        schedule.StartOf(Phase.Recovery).ShouldBe(27);
    }

    [Fact]
    public void StartOf_PhaseNotInSchedule_Throws()
    {
        var schedule = new OpenLoopSchedule([new LoadSegment(Phase.Baseline, 1, 10)]);

        Should.Throw<ArgumentException>(() => schedule.StartOf(Phase.Storm));
    }
}
