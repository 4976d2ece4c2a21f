using System.Text.Json;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Notifications;
using static Widgetify.Observability.Tests.Notifications.Alerts;

namespace Widgetify.Observability.Tests.Notifications;

public sealed class AlertmanagerPayloadTests
{
    [Theory]
    [InlineData("http://alertmanager:9093", "http://alertmanager:9093/api/v2/alerts")]
    [InlineData("http://alertmanager:9093/", "http://alertmanager:9093/api/v2/alerts")]
    [InlineData("https://ops.example/am/", "https://ops.example/am/api/v2/alerts")]
    [InlineData("http://alertmanager:9093/api/v2/alerts", "http://alertmanager:9093/api/v2/alerts")]
    public void ApiUrl_BaseOrFullUrl_NamesTheAlertsApi(string configured, string expected)
    {
        // Act
        var url = AlertmanagerPayload.ApiUrl(new Uri(configured));

        // Assert
        url.ShouldBe(new Uri(expected));
    }

    [Fact]
    public void Serialize_ResolvedAlert_HasLabelsAnnotationsAndBothTimes()
    {
        // Arrange: a label name OpenTelemetry-style, which Prometheus label names cannot carry
        var payload = new AlertmanagerPayload(new Dictionary<string, string> { ["service_name"] = "shop", ["service.instance.id"] = "a-1" }, "https://shop.example/");
        var resolved = Snapshot("ConnectionWaits", AlertState.Resolved);

        // Act
        var json = JsonDocument.Parse(payload.Serialize([(resolved, resolved.ResolvedAt)])).RootElement;

        // Assert
        var alert = json.EnumerateArray().ShouldHaveSingleItem();
        var labels = alert.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        labels.ShouldBe(new Dictionary<string, string?>
        {
            ["alertname"] = "ConnectionWaits",
            ["severity"] = "page",
            ["service"] = "shop",
            ["service_name"] = "shop",
            ["service_instance_id"] = "a-1",
        }, ignoreOrder: true);
        var annotations = alert.GetProperty("annotations");
        annotations.GetProperty("summary").GetString().ShouldBe(resolved.Summary);
        annotations.GetProperty("description").GetString().ShouldBe("p99_seconds=1.84, baseline_seconds=0.15");
        annotations.GetProperty("runbook_url").GetString().ShouldBe("https://shop.example/docs/runbooks/ConnectionWaits.md");
        alert.GetProperty("startsAt").GetString().ShouldBe("2026-02-15T12:00:03.000Z");
        alert.GetProperty("endsAt").GetString().ShouldBe("2026-02-15T12:01:00.000Z");
        alert.GetProperty("generatorURL").GetString().ShouldBe("https://shop.example/api/alerts");
    }

    [Fact]
    public void Serialize_NoExternalUrl_RelativeRunbookAndNoGeneratorUrl()
    {
        // Arrange
        var payload = new AlertmanagerPayload(new Dictionary<string, string>(), externalUrl: null);

        // Act
        var alert = JsonDocument.Parse(payload.Serialize([(Snapshot("SheddingActive", AlertState.Firing, AlertSeverity.Ticket), null)])).RootElement[0];

        // Assert
        alert.GetProperty("labels").GetProperty("service").GetString().ShouldBe("widgetify");
        alert.GetProperty("labels").GetProperty("severity").GetString().ShouldBe("ticket");
        alert.GetProperty("annotations").GetProperty("runbook_url").GetString().ShouldBe("docs/runbooks/SheddingActive.md");
        alert.TryGetProperty("generatorURL", out _).ShouldBeFalse();
        alert.TryGetProperty("endsAt", out _).ShouldBeFalse();
    }
}
