using System.Runtime.Versioning;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Incidents.Persistence;
using Widgetify.Incidents.Spool;
using Widgetify.Incidents.Timeline;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Spool;

public sealed class IncidentSpoolTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("widgetify-spool-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Write_EveryOpKind_LoadsBackInOrderWithOneHandlePerIncidentAndTheFileIsTheOwnersAlone()
    {
        // Arrange: a incident that joined one stored elsewhere (its id already the stored one), and a local one.
        var spool = new IncidentSpool(Path.Combine(_folder.FullName, "data", "incidents.spool.json"), new FakeTimeProvider(T0));
        var joined = new IncidentHandle(Guid.CreateVersion7(T0)) { Joined = true };
        var local = new IncidentHandle(Guid.CreateVersion7(T0.AddSeconds(1)));
        var state = new StateOp(local, IncidentStatus.Mitigated, T0.AddSeconds(3), ["DatabaseDown"], new IncidentImpact { Requests = 10, Failed = 2, Shed = 1, ClientClosed = 1, Clients = 4, ClientsAffected = 2, ClientsCapped = true });
        var sample = new IncidentSample { At = T0.AddSeconds(2), Instance = "a", Requests = 5, Bad = 1, P99 = double.NaN, AdmissionLimit = 40, DatabaseUp = false, OpensWaited = 3 };
        var batch = new OutboxBatch(
            [
                new EventOp(joined, Event(T0, IncidentEventKind.AutomaticAction, new Dictionary<string, double> { ["to"] = 1, ["ratio"] = double.PositiveInfinity })),
                new ResolveOp(joined, new StateOp(joined, IncidentStatus.Open, null, ["ResponseTimeSpike"], IncidentImpact.None), T0.AddSeconds(1), Event(T0.AddSeconds(1), IncidentEventKind.Resolved)),
                new PostmortemOp(joined, "/var/lib/widgetify/postmortems/x.md", Event(T0.AddSeconds(1), IncidentEventKind.PostmortemWritten)),
                new OpenOp(local, new Incident
                {
                    Id = local.Id, Title = "DatabaseDown: no answer", Status = IncidentStatus.Open, ImpactStartedAt = T0, DetectedAt = T0.AddSeconds(1),
                    DetectedBy = "DatabaseDown", DetectionSummary = "no answer", Alerts = ["DatabaseDown"],
                }, 0.5, 0.999),
                new EventOp(local, Event(T0.AddSeconds(1), IncidentEventKind.Detected), Opening: true),
                new LeaveOp(local, state, T0.AddSeconds(4), Event(T0.AddSeconds(4), IncidentEventKind.Note)),
            ],
            [state],
            [new SampleOp(local, sample)]);

        // Act
        spool.Write("a", [new SpooledBatch("a", batch)]);
        var loaded = spool.Load().ShouldNotBeNull().ShouldHaveSingleItem();

        // Assert
        File.GetUnixFileMode(spool.Path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.GetFiles(Path.GetDirectoryName(spool.Path)!).ShouldBe([spool.Path]);
        loaded.Instance.ShouldBe("a");
        var ops = loaded.Batch.Ops;
        ops.Select(op => op.GetType()).ShouldBe([typeof(EventOp), typeof(ResolveOp), typeof(PostmortemOp), typeof(OpenOp), typeof(EventOp), typeof(LeaveOp)]);
        ops.Take(3).Select(op => op.Handle).Distinct().ShouldHaveSingleItem().ShouldBeSameAs(ops[0].Handle);
        ops.Skip(3).Append(loaded.Batch.States[0]).Append(loaded.Batch.Samples[0]).Select(op => op.Handle).Distinct().ShouldHaveSingleItem();
        (ops[0].Handle.Id, ops[0].Handle.Joined).ShouldBe((joined.Id, true));
        (ops[3].Handle.Id, ops[3].Handle.Joined).ShouldBe((local.Id, false));
        var action = ((EventOp)ops[0]).Event;
        action.ShouldBe(((EventOp)batch.Ops[0]).Event with { Values = action.Values });
        action.Values.ShouldBe(new Dictionary<string, double> { ["to"] = 1, ["ratio"] = double.PositiveInfinity });
        ((EventOp)ops[4]).Opening.ShouldBeTrue();
        var open = (OpenOp)ops[3];
        (open.Incident.Id, open.Incident.Title, open.Incident.DetectedAt, open.Incident.DetectedBy, open.SloP99Seconds, open.SloAvailability)
            .ShouldBe((local.Id, "DatabaseDown: no answer", T0.AddSeconds(1), "DatabaseDown", 0.5, 0.999));
        open.Incident.Alerts.ShouldBe(["DatabaseDown"]);
        ((PostmortemOp)ops[2]).Path.ShouldBe("/var/lib/widgetify/postmortems/x.md");
        var leave = (LeaveOp)ops[5];
        leave.LeftAt.ShouldBe(T0.AddSeconds(4));
        leave.Final.Impact.ShouldBe(state.Impact);
        (leave.Final.Status, leave.Final.MitigatedAt).ShouldBe((IncidentStatus.Mitigated, T0.AddSeconds(3)));
        loaded.Batch.States.ShouldHaveSingleItem().Impact.ShouldBe(state.Impact);
        var loadedSample = loaded.Batch.Samples.ShouldHaveSingleItem().Sample;
        loadedSample.ShouldBe(sample with { P99 = loadedSample.P99 });
        double.IsNaN(loadedSample.P99!.Value).ShouldBeTrue();
    }

    [Fact]
    public void Load_NoFile_Null()
    {
        // Arrange
        var spool = new IncidentSpool(Path.Combine(_folder.FullName, "missing", "incidents.spool.json"), TimeProvider.System);

        // Act
        var loaded = spool.Load();

        // Assert
        loaded.ShouldBeNull();
    }

    [Theory]
    [InlineData("""{ "version": 1, "writtenAt": "2026-02-15T08:00:00Z", "writtenBy": "a", "sections": [ { "instance": "a", "handles": [], "ops": [ { "type": "event", "handle": 0, "event": { "id": "019c6050-6f10-7302-a1b5-6a48a1916aa0", "at": "2026-02-15T08:00:00Z", "kind": "Note", "message": "m" } } ] } ] }""", "names incident #0, but the section lists 0")]
    [InlineData("""{ "version": 1, "writtenAt": "2026-02-15T08:00:00Z", "writtenBy": "a", "sections": [ { "instance": "a", "handles": [ { "id": "019c6050-6f10-7302-a1b5-6a48a1916aa0", "joined": false } ], "ops": [ { "type": "teleport", "handle": 0 } ] } ] }""", "it is not a complete version-1 spool")]
    [InlineData("""{ "version": 1, "writtenAt": "2026-02-15T08:00:00Z", "writtenBy": "a", "sections": [ { "instance": "a", "handles": [ { "id": "019c6050-6f10-7302-a1b5-6a48a1916aa0", "joined": false } ], "ops": [ { "type": "event", "handle": 0, "event": { "id": "019c6050-6f10-7302-a1b5-6a48a1916aa0", "at": "2026-02-15T08:00:00Z", "kind": "Gossip", "message": "m" } } ] } ] }""", "kind 'Gossip', which this version does not know")]
    [InlineData("""{ "version": 1, "writtenAt": "2026-02-15T08:00:00Z", "writtenBy": null, "sections": [] }""", "it is not a complete version-1 spool")]
    [InlineData("""[ 1 ]""", "it is not a spool file")]
    public void Load_WellFormedJsonThatIsNotAValidSpool_ThrowsSayingWhy(string json, string reason)
    {
        // Arrange
        var spool = new IncidentSpool(Path.Combine(_folder.FullName, "incidents.spool.json"), TimeProvider.System);
        File.WriteAllText(spool.Path, json);

        // Act
        var thrown = Should.Throw<InvalidDataException>(spool.Load);

        // Assert
        thrown.Message.ShouldContain(reason);
    }

    [Fact]
    public void MoveAside_TwiceInTheSameSecond_KeepsBoth()
    {
        // Arrange
        var spool = new IncidentSpool(Path.Combine(_folder.FullName, "incidents.spool.json"), new FakeTimeProvider(T0));
        File.WriteAllText(spool.Path, "first");
        var first = spool.MoveAside("unreadable");
        File.WriteAllText(spool.Path, "second");

        // Act
        var second = spool.MoveAside("unreadable");

        // Assert
        first.ShouldBe(spool.Path + ".unreadable-20260215T080000Z");
        second.ShouldBe(spool.Path + ".unreadable-20260215T080000Z-2");
        File.Exists(spool.Path).ShouldBeFalse();
        File.ReadAllText(second).ShouldBe("second");
    }

    private static IncidentEvent Event(DateTimeOffset at, IncidentEventKind kind, IReadOnlyDictionary<string, double>? values = null) => new()
    {
        Id = Guid.CreateVersion7(at),
        At = at,
        Kind = kind,
        Message = $"{kind} at {at:O}",
        Values = values,
        Instance = "a",
    };
}
