using System.Text.Json;
using Widgetify.Bench.Detection;

namespace Widgetify.Bench.Tests.Detection;

public sealed class MonitoringJsonTests
{
    [Fact]
    public void ParseAlerts_ServiceBody_ActiveAndRecentWithTimes()
    {
        var poll = MonitoringJson.ParseAlerts(MonitoringSamples.AlertsAtOnset);

        poll.Active.Select(a => a.Name).ShouldBe(["ConnectionWaits", "PoolSaturation"]);
        poll.Active[0].State.ShouldBe("firing");
        poll.Active[0].FiringSince.ShouldBe(MonitoringSamples.Onset.AddSeconds(-2));
        poll.Active[1].FiringSince.ShouldBeNull();
        var resolved = poll.Recent.ShouldHaveSingleItem();
        resolved.Severity.ShouldBe("page");
        resolved.ResolvedAt.ShouldBe(MonitoringSamples.Onset.AddSeconds(-10));
    }

    [Fact]
    public void ParseIncidents_ServiceBody_TimesImpactAndPostmortem()
    {
        var items = MonitoringJson.ParseIncidents(MonitoringSamples.IncidentsMitigated);

        items.Count.ShouldBe(3);
        var storm = items[0];
        storm.Id.ShouldBe(MonitoringSamples.StormIncident);
        storm.Status.ShouldBe("mitigated");
        storm.DetectedAt.ShouldBe(MonitoringSamples.Onset.AddSeconds(1.5));
        storm.MitigatedAt.ShouldBe(MonitoringSamples.Onset.AddSeconds(7.4));
        storm.ResolvedAt.ShouldBeNull();
        storm.IsResolved.ShouldBeFalse();
        storm.TimeToMitigateSeconds.ShouldBe(7.4);
        storm.Alerts.ShouldBe(["DbConnectionsNearLimit", "SheddingActive", "ResponseTimeSpike"]);
        storm.Impact.Shed.ShouldBe(17310);
        storm.Impact.ClientsAffectedPercent.ShouldBe(90.69);
        items[2].Postmortem.ShouldBe("/var/lib/widgetify/postmortems/20261121-0940-019aa690.md");
        items[2].IsResolved.ShouldBeTrue();
    }

    [Theory]
    [InlineData("<html><body>502 Bad Gateway</body></html>")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("""{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"Service Unavailable","status":503}""")]
    [InlineData("""{"active":[{"severity":"page"}],"recent":[]}""")]
    [InlineData("""{"active":[{"name":"X","firingSince":"yesterday"}],"recent":[]}""")]
    public void ParseAlerts_NotAnAlertsBody_JsonException(string body)
    {
        Should.Throw<JsonException>(() => MonitoringJson.ParseAlerts(body));
    }

    [Theory]
    [InlineData("""{"items":[{"title":"no id","detectedAt":"2026-11-21T10:00:00+00:00"}]}""")]
    [InlineData("""{"items":[{"id":"019aa6b1-3c52-7d10-9a2e-5b0f6c1d2e3f"}]}""")]
    [InlineData("""{"incidents":[]}""")]
    [InlineData("[1,2")]
    public void ParseIncidents_NotAnIncidentsBody_JsonException(string body)
    {
        Should.Throw<JsonException>(() => MonitoringJson.ParseIncidents(body));
    }
}
