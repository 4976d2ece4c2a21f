using Microsoft.Extensions.Time.Testing;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Timeline;
using Widgetify.Observability.Alerts;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Lifecycle;

[Collection(IncidentsGroup.Name)]
public sealed class IncidentTrackerTests(IncidentsCluster cluster)
{
    [Fact]
    public async Task Observe_BreachBeforeAlert_ImpactStartsAtFirstBreachedSecond()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);

        // Act: a minute of healthy traffic, 10 slow seconds, the alert fires on the last one.
        s.Seconds(0, 59, i => Second(i));
        s.Seconds(60, 68, i => Second(i, latency: 2));
        s.Second(Second(69, latency: 2), Fire("ResponseTimeSpike", 69));
        await s.FlushAsync();

        // Assert
        var current = s.Tracker.Current.ShouldNotBeNull();
        current.ImpactStartedAt.ShouldBe(T0.AddSeconds(60));
        current.DetectedAt.ShouldBe(T0.AddSeconds(69));
        current.TimeToDetect.ShouldBe(TimeSpan.FromSeconds(9));
        current.Title.ShouldBe("ResponseTimeSpike: p99 1.8 s over 10 s, 12x the 0.15 s baseline");
        var report = (await store.LoadReportAsync(current.Id, CancellationToken.None)).ShouldNotBeNull();
        report.Incident.ImpactStartedAt.ShouldBe(T0.AddSeconds(60));
        report.Incident.Status.ShouldBe(IncidentStatus.Open);
        report.Events.Select(e => (e.Kind, e.At)).Take(2).ShouldBe([(IncidentEventKind.ImpactStarted, T0.AddSeconds(60)), (IncidentEventKind.Detected, T0.AddSeconds(69))]);
        report.Samples.Count(x => x.At >= T0.AddSeconds(60)).ShouldBe(10, "every second of impact, the ones before detection included");
        report.Samples.Count(x => x.At < T0.AddSeconds(60)).ShouldBe(59, "the baseline minute before the impact");
        report.Incident.Impact.Requests.ShouldBe(1000);
    }

    [Fact]
    public async Task Observe_SecondAlertWhileOpen_JoinsTheOpenIncident()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);

        // Act
        s.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
        var id = s.Tracker.Current!.Id;
        s.Seconds(11, 14, i => Second(i, latency: 2, poolUsed: 20));
        s.Second(Second(15, latency: 2, poolUsed: 20), Fire("PoolSaturation", 15, "pool 20 of 20 in use for 5 s"));
        s.Second(Second(16, latency: 2), Resolve("PoolSaturation", 15, 16));
        await s.FlushAsync();

        // Assert
        s.Tracker.Current!.Id.ShouldBe(id);
        var report = (await store.LoadReportAsync(id, CancellationToken.None)).ShouldNotBeNull();
        report.Incident.Alerts.ShouldBe(["ResponseTimeSpike", "PoolSaturation"]);
        var firing = report.Events.Single(e => e.Kind == IncidentEventKind.AlertFiring);
        firing.Message.ShouldBe("PoolSaturation fired (Page): pool 20 of 20 in use for 5 s");
        firing.At.ShouldBe(T0.AddSeconds(15));
        report.Events.Single(e => e.Kind == IncidentEventKind.AlertResolved).Message.ShouldStartWith("PoolSaturation resolved after 1 s");
        (await store.ListAsync(10, CancellationToken.None)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task RecordAutomaticAction_OnlyWhileAnIncidentIsOpen_LandsOnItsTimeline()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Seconds(0, 9, i => Second(i));

        // Act
        var beforeIncident = s.Tracker.RecordAutomaticAction(T0.AddSeconds(9), "Autoscaler decided to scale out 0 -> 1 standby(s).");
        s.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
        var during = s.Tracker.RecordAutomaticAction(
            T0.AddSeconds(10.5), "Autoscaler decided to scale out 0 -> 1 standby(s).", new Dictionary<string, double> { ["to"] = 1 });
        await s.FlushAsync();

        // Assert
        beforeIncident.ShouldBeFalse();
        during.ShouldBeTrue();
        var report = (await store.LoadReportAsync(s.Tracker.Current!.Id, CancellationToken.None)).ShouldNotBeNull();
        var recorded = report.Events.Single(e => e.Kind == IncidentEventKind.AutomaticAction);
        recorded.At.ShouldBe(T0.AddSeconds(10.5));
        recorded.Message.ShouldBe("Autoscaler decided to scale out 0 -> 1 standby(s).");
        recorded.Values!["to"].ShouldBe(1);
    }

    [Fact]
    public async Task RecordAutomaticAction_DuringTheImpactBeforeDetection_LandsOnTheIncidentOnceItOpens()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Seconds(0, 9, i => Second(i));

        // Act: PostgreSQL killed at 9.6 s; the supervisor restarts it within the first bad second, before any alert.
        var early = s.Tracker.RecordAutomaticAction(T0.AddSeconds(3), "Autoscaler decided to scale in 1 -> 0 standby(s).");
        var restart = s.Tracker.RecordAutomaticAction(
            T0.AddSeconds(9.9), "PostgreSQL primary was down and was restarted on the same port by its supervisor.", new Dictionary<string, double> { ["down_s"] = 0.3 });
        s.Seconds(10, 11, i => Second(i, latency: 2));
        s.Second(Second(12, latency: 2), Fire("ResponseTimeSpike", 12));
        await s.FlushAsync();

        // Assert: the restart is on the timeline of the incident it was part of, the earlier action is not.
        early.ShouldBeFalse();
        restart.ShouldBeFalse("no incident was open yet");
        var report = (await store.LoadReportAsync(s.Tracker.Current!.Id, CancellationToken.None)).ShouldNotBeNull();
        report.Incident.ImpactStartedAt.ShouldBe(T0.AddSeconds(10));
        var recorded = report.Events.Where(e => e.Kind == IncidentEventKind.AutomaticAction && e.Message.StartsWith("PostgreSQL", StringComparison.Ordinal)).ShouldHaveSingleItem();
        recorded.At.ShouldBe(T0.AddSeconds(9.9));
        recorded.Values!["down_s"].ShouldBe(0.3);
        report.Events.ShouldNotContain(e => e.Message.StartsWith("Autoscaler", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RecordAutomaticAction_WhileTheAlertWasPendingWithNoSloBreach_LandsOnTheIncidentOnceItOpens()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Seconds(0, 9, i => Second(i));

        // Act: the pool saturates at 10 s without breaking the SLO; the alert is pending from 10 s and fires at 15 s (its
        // 'for' is 5 s). Actions come before it went pending (at 3 s; at 9.5 s, in the second that led to it) and while
        // it was pending (at 12 s).
        var early = s.Tracker.RecordAutomaticAction(T0.AddSeconds(3), "Autoscaler decided to scale in 1 -> 0 standby(s).");
        s.Tracker.RecordAutomaticAction(T0.AddSeconds(9.5), "PostgreSQL primary was down and was restarted on the same port by its supervisor.");
        s.Tracker.RecordAutomaticAction(T0.AddSeconds(12), "Autoscaler decided to scale out 0 -> 1 standby(s).");
        s.Seconds(10, 14, i => Second(i, poolUsed: 20));
        var pending = Alert("PoolSaturation", AlertState.Firing, T0.AddSeconds(15), "pool 20 of 20 in use for 5 s") with { PendingSince = T0.AddSeconds(10) };
        s.Second(Second(15, poolUsed: 20), new AlertTransition(pending, AlertState.Pending, T0.AddSeconds(15)));
        await s.FlushAsync();

        // Assert: impact counted from detection (no breach before it), and the actions from the pending start's second on
        // are on the timeline; the one before is not.
        early.ShouldBeFalse();
        var report = (await store.LoadReportAsync(s.Tracker.Current!.Id, CancellationToken.None)).ShouldNotBeNull();
        report.Incident.ImpactStartedAt.ShouldBe(T0.AddSeconds(15));
        report.Events.Where(e => e.Kind == IncidentEventKind.AutomaticAction).Select(e => e.At).ShouldBe([T0.AddSeconds(9.5), T0.AddSeconds(12)]);
    }

    [Fact]
    public async Task Observe_AutomaticActions_RecordedOnceEachWithTheNumbers()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Seconds(0, 9, i => Second(i));

        // Act
        s.Seconds(10, 11, i => Second(i, latency: 2));
        s.Second(Second(12, latency: 2), Fire("ResponseTimeSpike", 12));
        s.Second(Second(13, latency: 2, queued: 50));
        s.Second(Second(14, latency: 2, queued: 50, shed: 30));
        s.Second(Second(15, latency: 0.08, queued: 50, shed: 30, limit: 60));
        s.Second(Second(16, shed: 30, limit: 55, share: 10));
        s.Second(Second(17, shed: 30, limit: 40, share: 10));          // -33% from 60, but within 5 s of the last entry
        s.Seconds(18, 19, i => Second(i, shed: 30, limit: 40, share: 10));
        s.Second(Second(20, shed: 30, limit: 40, share: 10));          // 5 s after the last entry: 60 -> 40
        s.Second(Second(21, shed: 30, limit: 40, share: 10));
        s.Seconds(22, 24, i => Second(i, limit: 40, share: 10));        // three quiet seconds: shedding stopped
        await s.FlushAsync();

        // Assert
        var report = (await store.LoadReportAsync(s.Tracker.Current!.Id, CancellationToken.None)).ShouldNotBeNull();
        var actions = report.Events.Where(e => e.Kind == IncidentEventKind.AutomaticAction).Select(e => $"{(e.At - T0).TotalSeconds} {e.Message}").ToList();
        actions.ShouldBe(
        [
            "13 Admission queue building: 50 requests waiting (limit 100, 100 in flight).",
            "14 Shedding engaged: 30 of 100 requests shed (30.0%), admission limit 100, 50 queued.",
            "15 Admission limit lowered 100 -> 60 (-40%): 60 in flight, 50 queued.",
            "16 Connection share changed 20 -> 10 (fleet budget 20); 5 in use, 0 waiting.",
            "20 Admission limit lowered 60 -> 40 (-33%): 40 in flight, 0 queued.",
            "22 Shedding stopped after 8 s: 240 requests shed in all.",
        ]);
        report.Events.First(e => e.Message.StartsWith("Admission limit lowered 100", StringComparison.Ordinal)).Values!["new"].ShouldBe(60);
    }

    [Fact]
    public async Task Observe_MitigatedForThreeSeconds_MarksTheRunStartAndKeepsItThroughARelapse()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Seconds(10, 13, i => Second(i, latency: 2));
        s.Second(Second(14, latency: 2), Fire("ResponseTimeSpike", 14));

        // Act: shedding keeps the served requests fast (mitigated, still breached by the sheds).
        s.Seconds(15, 16, i => Second(i, shed: 40));
        s.Second(Second(17, latency: 2));
        s.Seconds(18, 19, i => Second(i, shed: 40));
        var beforeThird = s.Tracker.Current!.Status;
        s.Second(Second(20, shed: 40));
        var mitigated = s.Tracker.Current!;
        s.Seconds(21, 23, i => Second(i, latency: 2));
        var relapsed = s.Tracker.Current!;
        s.Seconds(24, 26, i => Second(i, shed: 40));
        await s.FlushAsync();

        // Assert
        beforeThird.ShouldBe(IncidentStatus.Open);
        mitigated.Status.ShouldBe(IncidentStatus.Mitigated);
        mitigated.MitigatedAt.ShouldBe(T0.AddSeconds(18));
        mitigated.TimeToMitigate.ShouldBe(TimeSpan.FromSeconds(8));
        relapsed.Status.ShouldBe(IncidentStatus.Open);
        relapsed.MitigatedAt.ShouldBe(T0.AddSeconds(18));
        s.Tracker.Current!.Status.ShouldBe(IncidentStatus.Mitigated);
        var report = (await store.LoadReportAsync(mitigated.Id, CancellationToken.None)).ShouldNotBeNull();
        report.Incident.MitigatedAt.ShouldBe(T0.AddSeconds(18));
        var timeline = report.Events.Where(e => e.Kind is IncidentEventKind.Mitigated or IncidentEventKind.Note).Select(e => (e.Kind, (e.At - T0).TotalSeconds)).ToList();
        timeline.ShouldBe([(IncidentEventKind.Mitigated, 18), (IncidentEventKind.Note, 21), (IncidentEventKind.Mitigated, 24)]);
        report.Events.Single(e => e.Kind == IncidentEventKind.Note).Message.ShouldStartWith("Relapse:");
    }

    [Fact]
    public async Task Observe_HealthyForResolveAfter_ResolvesWithExactImpactAndWritesThePostmortem()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        var directory = Path.Combine(Path.GetTempPath(), "widgetify-pm-" + Guid.NewGuid().ToString("N")[..8]);
        // The clock is past the crafted seconds, as it is in service: the draft is written after the resolution.
        await using var s = new Scenario(store, options: new IncidentOptions { PostmortemDirectory = directory }, time: new FakeTimeProvider(T0.AddMinutes(5)));
        await s.Tracker.StartAsync(CancellationToken.None);
        var resolved = new List<Incident>();
        s.Tracker.Resolved += (_, incident) => resolved.Add(incident);

        try
        {
            // Act: 10 s with 10% failed and 15% shed, then 30 healthy seconds.
            s.Seconds(10, 14, i => Second(i, requests: 200, errors: 20, shed: 30));
            s.Second(Second(15, requests: 200, errors: 20, shed: 30), Fire("ErrorBudgetBurn", 15, "25% of requests failed over 5 s"));
            s.Seconds(16, 19, i => Second(i, requests: 200, errors: 20, shed: 30));
            s.Second(Second(20), Resolve("ErrorBudgetBurn", 15, 20));
            s.Seconds(21, 48, i => Second(i));
            var stillOpen = s.Tracker.Current;
            s.Second(Second(49));
            await s.FlushAsync();

            // Assert
            stillOpen.ShouldNotBeNull();
            s.Tracker.Current.ShouldBeNull();
            var incident = resolved.ShouldHaveSingleItem();
            incident.Status.ShouldBe(IncidentStatus.Resolved);
            incident.ResolvedAt.ShouldBe(T0.AddSeconds(49));
            incident.MitigatedAt.ShouldBe(T0.AddSeconds(20));
            incident.TimeToResolve.ShouldBe(TimeSpan.FromSeconds(39));
            incident.Impact.Requests.ShouldBe((10 * 200) + (30 * 100));
            incident.Impact.Failed.ShouldBe(200);
            incident.Impact.Shed.ShouldBe(300);
            incident.Impact.FailedOrShedPercent.ShouldBe(10.0);
            incident.PostmortemPath.ShouldBe(Path.Combine(directory, $"20260215-0800-{incident.Id:D}.md"));
            File.Exists(incident.PostmortemPath).ShouldBeTrue();
            File.Exists(Path.ChangeExtension(incident.PostmortemPath, ".svg")).ShouldBeTrue();
            File.ReadAllText(incident.PostmortemPath!).ShouldContain("10% of requests failed or were shed: 500 of 5,000");
            var stored = (await store.LoadReportAsync(incident.Id, CancellationToken.None)).ShouldNotBeNull();
            stored.Incident.PostmortemPath.ShouldBe(incident.PostmortemPath);
            stored.Events.Select(e => e.Kind).TakeLast(2).ShouldBe([IncidentEventKind.Resolved, IncidentEventKind.PostmortemWritten]);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Observe_ClientsGiveUpDuringTheIncident_CountedAsTheirOwnClassInImpactSamplesAndPostmortem()
    {
        // Arrange: issue 10's storm in miniature: 5xx and sheds, and clients that give up (499) waiting for the rest.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Seconds(0, 9, i => Second(i));

        // Act
        s.Seconds(10, 14, i => Second(i, requests: 200, errors: 20, shed: 30, clientClosed: 40));
        s.Second(Second(15, requests: 200, errors: 20, shed: 30, clientClosed: 40), Fire("ErrorBudgetBurn", 15, "25% of requests failed over 5 s"));
        s.Seconds(16, 19, i => Second(i, requests: 200, errors: 20, shed: 30, clientClosed: 40));
        var current = s.Tracker.Current.ShouldNotBeNull();
        await s.FlushAsync();
        var report = (await store.LoadReportAsync(current.Id, CancellationToken.None)).ShouldNotBeNull();
        var markdown = PostmortemWriter.Write(report).Markdown;

        // Assert: a count of their own beside failed and shed, in none of the failures
        current.Impact.ClientClosed.ShouldBe(400);
        current.Impact.Failed.ShouldBe(200);
        current.Impact.Shed.ShouldBe(300);
        current.Impact.FailedOrShedPercent.ShouldBe(25.0, "500 of 2,000: the 400 that gave up are requests, not failures");
        report.Incident.Impact.ShouldBe(current.Impact, "the stored impact is the tracker's");
        report.Samples.Where(x => x.At >= T0.AddSeconds(10)).Sum(x => x.ClientClosed).ShouldBe(400);
        report.Samples.Where(x => x.At >= T0.AddSeconds(10)).Sum(x => x.ServerErrors).ShouldBe(200);
        markdown.ShouldContain("- 25% of requests failed or were shed: 500 of 2,000 (200 failed with 5xx, 300 shed with 503 and Retry-After).");
        markdown.ShouldContain("- 20% of requests were given up by their clients: 400 of 2,000 ended with 499 because the client went away before the answer. Not failures of ours: in neither count above.");
        markdown.ShouldContain("| Clients gave up (499; not failures) | 40/s |");
        markdown.ShouldContain("| 5xx (not shed; clients that gave up are 499, not here) | 20/s |");
        PostmortemWriter.DescribeImpact(current.Impact).ShouldContain("(200 failed, 300 shed); 400 given up by their clients (499, not failures)");
    }

    [Fact]
    public async Task Observe_OnlyTheErrorBudgetAlertStillFiring_ResolvesAndSaysItStillFires()
    {
        // Arrange: a burn-rate alert keeps firing minutes after the harm stops (its 5 m window still holds it).
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store, time: new FakeTimeProvider(T0.AddMinutes(5)));
        await s.Tracker.StartAsync(CancellationToken.None);

        // Act
        s.Seconds(10, 14, i => Second(i, requests: 200, shed: 100));
        s.Second(Second(15, requests: 200, shed: 100), Fire("ErrorBudgetBurn", 15, "burning 500x"), Fire("SheddingActive", 15, "50% shed"));
        s.Second(Second(16), Resolve("SheddingActive", 15, 16));
        s.Seconds(17, 44, i => Second(i));
        var openWhileHealthyForLessThanResolveAfter = s.Tracker.Current;
        s.Seconds(45, 46, i => Second(i));
        await s.FlushAsync();

        // Assert: resolved 30 s after the symptoms stopped, although ErrorBudgetBurn still fires.
        openWhileHealthyForLessThanResolveAfter.ShouldNotBeNull();
        s.Tracker.Current.ShouldBeNull();
        var incident = (await store.ListAsync(1, CancellationToken.None)).ShouldHaveSingleItem();
        incident.ResolvedAt.ShouldBe(T0.AddSeconds(45));
        var report = (await store.LoadReportAsync(incident.Id, CancellationToken.None)).ShouldNotBeNull();
        report.Events.Single(e => e.Kind == IncidentEventKind.Resolved).Message.ShouldContain("ErrorBudgetBurn still fires");
    }

    [Fact]
    public async Task Observe_SeveralAlertsFireInTheSameSecond_NamesTheIncidentAfterTheMostSpecific()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        await using var s = new Scenario(IncidentsCluster.Store(database));

        // Act: the generic budget alert comes first in the list.
        s.Second(Second(15, requests: 200, errors: 200), Fire("ErrorBudgetBurn", 15, "burning 1000x"), Fire("DatabaseDown", 15, "unreachable for 3 s"));

        // Assert
        var incident = s.Tracker.Current.ShouldNotBeNull();
        incident.Title.ShouldStartWith("DatabaseDown: ");
        incident.Alerts.ShouldBe(["DatabaseDown", "ErrorBudgetBurn"]);
    }

    [Fact]
    public async Task Observe_AFiringAlertEscalates_RecordsTheEscalationWhenItHappened()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        await using var s = new Scenario(IncidentsCluster.Store(database));
        s.Second(Second(15, requests: 200, errors: 100), Fire("PoolSaturation", 15, "pool 20 of 20 in use"));
        var ticket = Fire("ErrorBudgetBurn", 16, "Ticket: burning 7x");
        s.Second(Second(16, requests: 200, errors: 100), ticket with { Alert = ticket.Alert with { Severity = AlertSeverity.Ticket } });

        // Act: at second 30 the same alert, still firing since 16, becomes a page.
        var page = Fire("ErrorBudgetBurn", 16, "Page: burning 20x");
        s.Second(Second(30, requests: 200, errors: 100), page with { From = AlertState.Firing, At = T0.AddSeconds(30) });
        await s.FlushAsync();

        // Assert
        var report = (await IncidentsCluster.Store(database).LoadReportAsync(s.Tracker.Current!.Id, CancellationToken.None)).ShouldNotBeNull();
        var escalation = report.Events.Single(e => e.Message.Contains("escalated", StringComparison.Ordinal));
        escalation.At.ShouldBe(T0.AddSeconds(30));
        escalation.Message.ShouldStartWith("ErrorBudgetBurn escalated to Page");
    }

    [Fact]
    public async Task Observe_ASymptomAlertStillFiring_HoldsTheResolution()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store, time: new FakeTimeProvider(T0.AddMinutes(5)));
        await s.Tracker.StartAsync(CancellationToken.None);

        // Act: the SLO is met again but PoolSaturation has not resolved.
        s.Second(Second(15, requests: 200, shed: 100), Fire("PoolSaturation", 15, "pool 20 of 20 in use"));
        s.Seconds(16, 80, i => Second(i));

        // Assert
        s.Tracker.Current.ShouldNotBeNull();
    }

    [Fact]
    public async Task Observe_ClientsBeforeAndDuringTheIncident_CountsDistinctAndAffected()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Clients.Record("10.0.0.9", bad: false);   // at T0: before the impact, not counted
        s.Time.Advance(TimeSpan.FromSeconds(10));
        s.Clients.Record("10.0.0.1", bad: false);   // during the impact, before detection
        s.Clients.Record("10.0.0.2", bad: true);

        // Act
        s.Seconds(10, 14, i => Second(i, errors: 50));
        s.Second(Second(15, errors: 50), Fire("ErrorBudgetBurn", 15));
        s.Clients.Record("10.0.0.3", bad: true);
        s.Clients.Record("10.0.0.1", bad: false);
        s.Clients.Record("10.0.0.2", bad: true);
        s.Second(Second(16, errors: 50));

        // Assert
        var impact = s.Tracker.Current!.Impact;
        impact.Clients.ShouldBe(3);
        impact.ClientsAffected.ShouldBe(2);
        impact.ClientsAffectedPercent.ShouldBe(200.0 / 3);
        impact.ClientsCapped.ShouldBeFalse();
        await s.FlushAsync();
        (await store.FindAsync(s.Tracker.Current!.Id.ToString(), CancellationToken.None))!.Impact.Clients.ShouldBe(3);
    }

    [Fact]
    public async Task Observe_MoreClientsThanTheCap_CountsUpToTheCapAndSaysSo()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store, options: new IncidentOptions { ClientCap = 100 });
        s.Second(Second(10, errors: 50), Fire("ErrorBudgetBurn", 10));

        // Act
        for (var i = 0; i < 150; i++)
        {
            s.Clients.Record($"192.0.2.{i}", bad: i % 2 == 0);
        }

        s.Second(Second(11, errors: 50));

        // Assert
        var impact = s.Tracker.Current!.Impact;
        impact.Clients.ShouldBe(100);
        impact.ClientsAffected.ShouldBe(75);
        impact.ClientsCapped.ShouldBeTrue();
    }
}
