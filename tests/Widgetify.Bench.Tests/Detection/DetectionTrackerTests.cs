using Widgetify.Bench.Detection;

namespace Widgetify.Bench.Tests.Detection;

public sealed class DetectionTrackerTests
{
    private static readonly DateTimeOffset Onset = MonitoringSamples.Onset;

    private readonly DetectionTracker tracker = new(Onset, TimeSpan.FromSeconds(1));

    [Fact]
    public void Result_AlertsOverThreePolls_FirstAfterOnsetIsTheEarliestFiringEvenIfNeverSeenActive()
    {
        tracker.Observe(MonitoringJson.ParseAlerts(MonitoringSamples.AlertsAtOnset), Onset.AddSeconds(0.4));
        tracker.Observe(MonitoringJson.ParseAlerts(MonitoringSamples.AlertsInStorm), Onset.AddSeconds(4));
        tracker.Observe(MonitoringJson.ParseAlerts(MonitoringSamples.AlertsAfterStorm), Onset.AddSeconds(45));

        var result = tracker.Result(25, 12);

        result.FirstAlert.ShouldBe("DbConnectionsNearLimit");
        result.SecondsToFirstAlert!.Value.ShouldBe(1.5, 1e-9);
        result.FirstAlertFiringSince.ShouldBe(Onset.AddSeconds(1.5));
        result.AlertsFired.ShouldBe(["DbConnectionsNearLimit", "SheddingActive", "ResponseTimeSpike"]);
        result.FiringAtOnset.ShouldBe(["ConnectionWaits"]);
        result.ActiveAtEnd.ShouldBeEmpty();
        result.ObservedSeconds.ShouldBe(45, 1e-9);
        result.OnsetUtc.ShouldBe(Onset);
    }

    [Fact]
    public void Result_OnlyAlertsFromBeforeOnset_NoFirstAlert()
    {
        tracker.Observe(MonitoringJson.ParseAlerts(MonitoringSamples.AlertsAtOnset), Onset.AddSeconds(0.4));

        var result = tracker.Result(25, 0);

        result.FirstAlert.ShouldBeNull();
        result.SecondsToFirstAlert.ShouldBeNull();
        result.Alerted.ShouldBeFalse();
        result.AlertsFired.ShouldBeEmpty();
        result.FiringAtOnset.ShouldBe(["ConnectionWaits"], "the ResponseTimeSpike that resolved before onset was not firing at onset");
        result.ActiveAtEnd.ShouldBe(["ConnectionWaits (firing)", "PoolSaturation (pending)"]);
    }

    [Fact]
    public void Result_IncidentMitigated_TimesAfterOnsetAndEarlierOpenIncidentNamed()
    {
        tracker.Observe(MonitoringJson.ParseIncidents(MonitoringSamples.IncidentsMitigated));

        var result = tracker.Result(25, 0);

        result.IncidentsOpened.ShouldBe(1);
        var incident = result.Incident.ShouldNotBeNull();
        incident.Id.ShouldBe(MonitoringSamples.StormIncident);
        incident.DetectedAfterOnsetSeconds.ShouldBe(1.5, 1e-9);
        incident.MitigatedAfterOnsetSeconds!.Value.ShouldBe(7.4, 1e-9);
        incident.ResolvedAfterOnsetSeconds.ShouldBeNull();
        incident.Resolved.ShouldBeFalse();
        incident.PostmortemWritten.ShouldBeFalse();
        incident.Impact.FailedOrShedPercent.ShouldBe(41.99);
        result.OpenAtOnset.ShouldBe(["019aa6af: ResponseTimeSpike: p99 0.9 s over 10 s"]);
    }

    [Fact]
    public void Observe_IncidentDetectedJustBeforeOnset_CountsWithinTheSlackOnly()
    {
        var within = Incident(Guid.Parse("019aa6b1-0000-7000-8000-000000000001"), Onset.AddSeconds(-0.8));
        var beyond = Incident(Guid.Parse("019aa6b1-0000-7000-8000-000000000002"), Onset.AddSeconds(-1.2));

        tracker.Observe([within, beyond]);

        var result = tracker.Result(25, 0);
        result.IncidentsOpened.ShouldBe(1);
        result.Incident!.Id.ShouldBe(within.Id);
        result.Incident.DetectedAfterOnsetSeconds.ShouldBe(-0.8, 1e-9);
    }

    [Fact]
    public void Observe_IncidentResolvedLater_LatestViewKept()
    {
        tracker.Observe(MonitoringJson.ParseIncidents(MonitoringSamples.IncidentsMitigated));
        tracker.Observe(MonitoringJson.ParseIncidents(MonitoringSamples.IncidentsResolved("/data/postmortems/20261121-1000-019aa6b1.md")));
        tracker.PostmortemFound("/data/postmortems/20261121-1000-019aa6b1.md");

        var incident = tracker.Result(25, 3).Incident!;

        incident.Status.ShouldBe("resolved");
        incident.ResolvedAfterOnsetSeconds!.Value.ShouldBe(41, 1e-9);
        incident.TimeToResolveSeconds.ShouldBe(41);
        incident.PostmortemWritten.ShouldBeTrue();
        incident.Postmortem.ShouldBe("/data/postmortems/20261121-1000-019aa6b1.md");
    }

    [Fact]
    public void Settled_IncidentLifecycle_OnlyOnceResolvedWithItsDraft()
    {
        tracker.Settled.ShouldBeFalse("nothing has been seen yet");
        tracker.Observe(MonitoringJson.ParseAlerts(MonitoringSamples.AlertsInStorm), Onset.AddSeconds(4));
        tracker.Observe(MonitoringJson.ParseIncidents(MonitoringSamples.IncidentsMitigated));
        tracker.Settled.ShouldBeFalse("the incident is only mitigated");

        tracker.Observe(MonitoringJson.ParseIncidents(MonitoringSamples.IncidentsResolved(null)));
        tracker.Settled.ShouldBeFalse("resolved, but its draft is not on disk yet");

        tracker.PostmortemFound("/data/postmortems/x.md");
        tracker.Settled.ShouldBeTrue();
    }

    [Fact]
    public void Settled_NothingFiredAndNothingActive_True()
    {
        tracker.Observe(new AlertsPoll([], []), Onset.AddSeconds(10));

        tracker.Settled.ShouldBeTrue();
    }

    [Fact]
    public void Settled_AlertFiredButNoIncidentYet_False()
    {
        tracker.Observe(MonitoringJson.ParseAlerts(MonitoringSamples.AlertsAfterStorm), Onset.AddSeconds(45));

        tracker.Settled.ShouldBeFalse();
    }

    [Fact]
    public void Failed_Twice_CountedWithTheLastReason()
    {
        tracker.CountPoll();
        tracker.Failed("GET /api/alerts: 503 Service Unavailable");
        tracker.Failed("GET /api/incidents: no answer within 2 s");

        var result = tracker.Result(25, 0);

        result.Polls.ShouldBe(1);
        result.PollFailures.ShouldBe(2);
        result.LastPollFailure.ShouldBe("GET /api/incidents: no answer within 2 s");
        result.ObservedSeconds.ShouldBe(0);
    }

    private static PolledIncident Incident(Guid id, DateTimeOffset detectedAt) => new(
        id, "SheddingActive: 40% shed", "open", detectedAt, detectedAt, null, null, 0, null, null, ["SheddingActive"],
        new Widgetify.Bench.Reporting.IncidentImpactResult(100, 0, 40, 40, 10, 8, 80, false), null);
}
