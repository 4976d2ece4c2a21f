using Microsoft.Extensions.Time.Testing;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Incidents.Persistence;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Timeline;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Lifecycle;

/// <summary><see cref="IncidentTracker.SetStandingFindings"/>: the pool review's critical findings on the
/// timeline of every incident open while they stand, once each, read back from the database.</summary>
[Collection(IncidentsGroup.Name)]
public sealed class IncidentTrackerStandingFindingsTests(IncidentsCluster cluster)
{
    private const string Feb15 =
        "3 instance(s) (registered in the budget) x (Max Pool Size 1000 + 1 control connection) = 3003 connections can exceed the 97 this server accepts.";

    private const string NoRoomForOthers = "The budget keeps no connection of primary for psql, monitoring or backups.";

    [Fact]
    public async Task SetStandingFindings_BeforeAnIncidentOpens_OnItsTimelineOnceWhenDetected()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Seconds(0, 9, i => Second(i));

        // Act: the review at start found it; a later review finds it again while the incident is open.
        s.Tracker.SetStandingFindings([Feb15]);
        s.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
        s.Seconds(11, 14, i => Second(i, latency: 2));
        s.Tracker.SetStandingFindings([Feb15]);
        await s.FlushAsync();

        // Assert
        var finding = (await FindingsAsync(store, s.Tracker.Current!.Id)).ShouldHaveSingleItem();
        (finding.Kind, finding.Message, finding.At, finding.Instance).ShouldBe((IncidentEventKind.ConfigurationFinding, Feb15, T0.AddSeconds(10), "a"));
    }

    [Fact]
    public async Task SetStandingFindings_WhileAnIncidentIsOpen_RecordedAtOnceAndEachTextOnce()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
        s.Time.Advance(TimeSpan.FromSeconds(12));

        // Act: the review runs during the incident, then again with one more finding.
        s.Tracker.SetStandingFindings([Feb15]);
        s.Time.Advance(TimeSpan.FromSeconds(3));
        s.Tracker.SetStandingFindings([Feb15, NoRoomForOthers]);
        await s.FlushAsync();

        // Assert: no second of monitoring was needed, and the first finding was not recorded twice.
        (await FindingsAsync(store, s.Tracker.Current!.Id)).Select(e => (e.Message, e.At)).ShouldBe(
            [(Feb15, T0.AddSeconds(12)), (NoRoomForOthers, T0.AddSeconds(15))]);
    }

    [Fact]
    public async Task SetStandingFindings_NoIncidentOpen_NothingRecorded()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        await using var s = new Scenario(IncidentsCluster.Store(database));
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Seconds(0, 9, i => Second(i));

        // Act
        s.Tracker.SetStandingFindings([Feb15]);

        // Assert
        s.Tracker.Current.ShouldBeNull();
        s.Tracker.Pending.Ops.ShouldBe(0);
    }

    [Fact]
    public async Task SetStandingFindings_StillStandingWhenTheNextIncidentOpens_OnBothIncidents()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store, options: new IncidentOptions { ResolveAfter = TimeSpan.FromSeconds(5) });
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Tracker.SetStandingFindings([Feb15]);
        var first = OpenAndResolve(s, at: 10);

        // Act
        s.Second(Second(40, latency: 2), Fire("ResponseTimeSpike", 40));
        var second = s.Tracker.Current!.Id;
        await s.FlushAsync();

        // Assert
        second.ShouldNotBe(first);
        (await FindingsAsync(store, first)).ShouldHaveSingleItem().Message.ShouldBe(Feb15);
        var again = (await FindingsAsync(store, second)).ShouldHaveSingleItem();
        (again.Message, again.At).ShouldBe((Feb15, T0.AddSeconds(40)));
    }

    [Fact]
    public async Task SetStandingFindings_ClearedAfterAnIncident_TheNextIncidentHasNone()
    {
        // Arrange: the setting was fixed (./widgetify review --apply) after the first incident.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store, options: new IncidentOptions { ResolveAfter = TimeSpan.FromSeconds(5) });
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Tracker.SetStandingFindings([Feb15]);
        var first = OpenAndResolve(s, at: 10);

        // Act
        s.Tracker.SetStandingFindings([]);
        s.Second(Second(40, latency: 2), Fire("ResponseTimeSpike", 40));
        var second = s.Tracker.Current!.Id;
        await s.FlushAsync();

        // Assert
        (await FindingsAsync(store, first)).Count.ShouldBe(1);
        (await FindingsAsync(store, second)).ShouldBeEmpty();
    }

    [Fact]
    public async Task SetStandingFindings_AnotherInstanceReattaches_RecordsItsOwnEntryAndThePostmortemCountsTheSentenceOnce()
    {
        // Arrange: instance a opens the incident with the finding standing and stops while it is open.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        Guid id;
        await using (var a = new Scenario(store, instance: "a"))
        {
            await a.Tracker.StartAsync(CancellationToken.None);
            a.Tracker.SetStandingFindings([Feb15]);
            a.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
            await a.FlushAsync();
            id = a.Tracker.Current!.Id;
        }

        // Act: instance b reviewed the same settings before it started, and re-attaches to the open incident.
        await using var b = new Scenario(store, instance: "b", time: new FakeTimeProvider(T0.AddSeconds(20)));
        b.Tracker.SetStandingFindings([Feb15]);
        await b.Tracker.StartAsync(CancellationToken.None);
        await b.FlushAsync();
        var report = (await store.LoadReportAsync(id, CancellationToken.None)).ShouldNotBeNull();

        // Assert
        b.Tracker.Current.ShouldNotBeNull().Id.ShouldBe(id);
        report.Events.Where(e => e.Kind == IncidentEventKind.ConfigurationFinding).Select(e => (e.Instance, e.At)).ShouldBe(
            [("a", T0.AddSeconds(10)), ("b", T0.AddSeconds(20))]);
        RootCauseRanking.Rank(new IncidentSeries(report)).Single(c => c.Name == "Pool settings the server cannot take")
            .For.Count(line => line.Contains(Feb15, StringComparison.Ordinal)).ShouldBe(1);
    }

    /// <summary>An incident opened at <paramref name="at"/> and resolved 5 healthy seconds after its alert resolved.</summary>
    private static Guid OpenAndResolve(Scenario s, int at)
    {
        s.Second(Second(at, latency: 2), Fire("ResponseTimeSpike", at));
        var id = s.Tracker.Current!.Id;
        s.Second(Second(at + 1), Resolve("ResponseTimeSpike", at, at + 1));
        s.Seconds(at + 2, at + 10, i => Second(i));
        s.Tracker.Current.ShouldBeNull("the first incident resolved");
        return id;
    }

    private static async Task<List<IncidentEvent>> FindingsAsync(IncidentStore store, Guid id) =>
        [.. (await store.LoadReportAsync(id, CancellationToken.None)).ShouldNotBeNull().Events.Where(e => e.Kind == IncidentEventKind.ConfigurationFinding)];
}
