using Widgetify.Incidents.Persistence;
using Widgetify.Incidents.Timeline;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Persistence;

public sealed class IncidentOutboxTests
{
    private readonly IncidentHandle _handle = new(Guid.CreateVersion7(T0));

    [Fact]
    public void Add_TwoStatesOfOneIncident_KeepsOnlyTheLatest()
    {
        // Arrange
        var outbox = new IncidentOutbox(10);
        var newer = State(IncidentStatus.Mitigated);

        // Act
        outbox.Add(State(IncidentStatus.Open));
        outbox.Add(newer);
        var batch = outbox.Take();

        // Assert
        batch.States.ShouldHaveSingleItem().ShouldBeSameAs(newer);
        batch.Ops.ShouldBeEmpty();
    }

    [Fact]
    public void Add_MoreSamplesThanTheLimit_DropsTheOldestAndCountsThemOnce()
    {
        // Arrange
        var outbox = new IncidentOutbox(2);

        // Act
        outbox.Add(SampleAt(1));
        outbox.Add(SampleAt(2));
        outbox.Add(SampleAt(3));

        // Assert
        outbox.PendingSamples.ShouldBe(2);
        outbox.TakeDroppedSamples().ShouldBe(1);
        outbox.TakeDroppedSamples().ShouldBe(0);
        outbox.Take().Samples.Select(s => s.Sample.At).ShouldBe([T0.AddSeconds(2), T0.AddSeconds(3)]);
    }

    [Fact]
    public void Add_ResolveAfterAState_DropsThePendingStateSoItCannotUndoTheResolution()
    {
        // Arrange
        var outbox = new IncidentOutbox(10);
        var resolve = new ResolveOp(_handle, State(IncidentStatus.Resolved), T0, Event(1));
        outbox.Add(State(IncidentStatus.Open));

        // Act
        outbox.Add(resolve);
        var batch = outbox.Take();

        // Assert
        batch.States.ShouldBeEmpty();
        batch.Ops.ShouldHaveSingleItem().ShouldBeSameAs(resolve);
    }

    [Fact]
    public void Return_FailedBatchWithNewerWritesQueued_PutsItsOpsFirstAndKeepsTheNewerState()
    {
        // Arrange
        var outbox = new IncidentOutbox(10);
        var first = new EventOp(_handle, Event(1));
        var second = new EventOp(_handle, Event(2));
        var newer = State(IncidentStatus.Mitigated);
        outbox.Add(first);
        outbox.Add(State(IncidentStatus.Open));
        var failed = outbox.Take();
        outbox.Add(second);
        outbox.Add(newer);

        // Act
        outbox.Return(failed);
        var retried = outbox.Take();

        // Assert
        retried.Ops.ShouldBe([first, second]);
        retried.States.ShouldHaveSingleItem().ShouldBeSameAs(newer);
    }

    [Fact]
    public void Return_StateOfAnIncidentResolvedMeanwhile_IsNotPutBack()
    {
        // Arrange
        var outbox = new IncidentOutbox(10);
        outbox.Add(State(IncidentStatus.Open));
        var failed = outbox.Take();
        outbox.Add(new ResolveOp(_handle, State(IncidentStatus.Resolved), T0, Event(1)));

        // Act
        outbox.Return(failed);

        // Assert
        outbox.Take().States.ShouldBeEmpty();
    }

    [Fact]
    public void Return_SamplesBeyondTheLimit_DropsTheOldestOfTheReturnedBatch()
    {
        // Arrange
        var outbox = new IncidentOutbox(2);
        outbox.Add(SampleAt(1));
        outbox.Add(SampleAt(2));
        var failed = outbox.Take();
        outbox.Add(SampleAt(3));

        // Act
        outbox.Return(failed);

        // Assert
        outbox.TakeDroppedSamples().ShouldBe(1);
        outbox.Take().Samples.Select(s => s.Sample.At).ShouldBe([T0.AddSeconds(2), T0.AddSeconds(3)]);
    }

    private StateOp State(IncidentStatus status) => new(_handle, status, null, ["PoolSaturation"], IncidentImpact.None);

    private SampleOp SampleAt(int second) => new(_handle, new IncidentSample { At = T0.AddSeconds(second), Instance = "a" });

    private static IncidentEvent Event(int second) => new()
    {
        Id = Guid.CreateVersion7(T0.AddSeconds(second)),
        At = T0.AddSeconds(second),
        Kind = IncidentEventKind.Note,
        Message = $"note {second}",
    };
}
