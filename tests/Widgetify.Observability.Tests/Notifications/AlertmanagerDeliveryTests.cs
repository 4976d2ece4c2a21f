using System.Globalization;
using System.Text.Json;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Notifications;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Tests.Notifications;

/// <summary>The evaluator's transitions delivered by <see cref="AlertNotifier"/> to a real Alertmanager, read back from
/// its API.</summary>
public sealed class AlertmanagerDeliveryTests : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new();
    private readonly RecordingLogger<AlertNotifier> _log = new();
    private AlertmanagerProcess _alertmanager = null!;

    public async Task InitializeAsync() => _alertmanager = await AlertmanagerProcess.StartAsync(_http);

    public async Task DisposeAsync()
    {
        await _alertmanager.DisposeAsync();
    }

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Publish_FiringThenResolved_AlertmanagerShowsTheAlertThenResolvesIt()
    {
        // Arrange: a database down for 3 s, evaluated on real (recent, whole-second) times Alertmanager accepts
        var labels = new Dictionary<string, string> { ["service_name"] = "widgetify", ["service_instance_id"] = "test-1" };
        var options = new WebhookOptions { Targets = { new WebhookTarget { Url = _alertmanager.Url } } };
        await using var notifier = new AlertNotifier(options, labels, "http://widgetify.test", _http, TimeProvider.System, _log);
        var evaluator = new AlertEvaluator(new AlertOptions { ResolveAfter = TimeSpan.Zero }, new ServiceLevelObjectives());
        var history = new SignalHistory();
        var now = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - 5);
        for (var i = 2; i >= 0; i--)
        {
            history.Add(new SignalSnapshot { At = now.AddSeconds(-i), DatabaseUp = false });
        }

        var firing = evaluator.Evaluate(history, now).ShouldHaveSingleItem();
        firing.To.ShouldBe(AlertState.Firing);

        // Act
        notifier.Publish([firing]);
        var alert = await UntilAlertAsync(a => a is not null);

        // Assert
        var alertLabels = alert!.Value.GetProperty("labels");
        alertLabels.GetProperty("alertname").GetString().ShouldBe("DatabaseDown");
        alertLabels.GetProperty("severity").GetString().ShouldBe("page");
        alertLabels.GetProperty("service").GetString().ShouldBe("widgetify");
        alertLabels.GetProperty("service_instance_id").GetString().ShouldBe("test-1");
        var annotations = alert.Value.GetProperty("annotations");
        annotations.GetProperty("summary").GetString().ShouldBe(firing.Alert.Summary);
        annotations.GetProperty("runbook_url").GetString().ShouldBe("http://widgetify.test/docs/runbooks/DatabaseDown.md");
        alert.Value.GetProperty("status").GetProperty("state").GetString().ShouldBe("active");
        alert.Value.GetProperty("generatorURL").GetString().ShouldBe("http://widgetify.test/api/alerts");
        DateTimeOffset.Parse(alert.Value.GetProperty("startsAt").GetString()!, CultureInfo.InvariantCulture).ShouldBe(now);
        DateTimeOffset.Parse(alert.Value.GetProperty("endsAt").GetString()!, CultureInfo.InvariantCulture).ShouldBeGreaterThan(TimeProvider.System.GetUtcNow(),
            "a firing alert sent without endsAt lasts Alertmanager's resolve_timeout");

        // Act: the database is back; with ResolveAfter 0 the next evaluation resolves
        history.Add(new SignalSnapshot { At = now.AddSeconds(1) });
        var resolved = evaluator.Evaluate(history, now.AddSeconds(1)).ShouldHaveSingleItem();
        resolved.To.ShouldBe(AlertState.Resolved);
        notifier.Publish([resolved]);

        // Assert: received as resolved (endsAt in the past), so no longer among the active alerts
        await BoundedWait.UntilAsync(async () => await MetricAsync("alertmanager_alerts_received_total{status=\"resolved\",version=\"v2\"}") == 1,
            () => _log.Dump() + _alertmanager.Output, "Alertmanager receives the resolution");
        (await UntilAlertAsync(a => a is null)).ShouldBeNull();
        (await MetricAsync("alertmanager_alerts_received_total{status=\"firing\",version=\"v2\"}")).ShouldBe(1);
        (await MetricAsync("alertmanager_alerts_invalid_total{version=\"v2\"}")).ShouldBe(0);
    }

    /// <summary>Polls <c>GET /api/v2/alerts</c> until the DatabaseDown alert (or its absence) satisfies <paramref name="condition"/>.</summary>
    private async Task<JsonElement?> UntilAlertAsync(Func<JsonElement?, bool> condition)
    {
        JsonElement? alert = null;
        var body = string.Empty;
        await BoundedWait.UntilAsync(
            async () =>
            {
                body = await _http.GetStringAsync(new Uri(_alertmanager.Url, "api/v2/alerts"));
                alert = JsonDocument.Parse(body).RootElement.EnumerateArray()
                    .Select(a => (JsonElement?)a)
                    .SingleOrDefault(a => a!.Value.GetProperty("labels").GetProperty("alertname").GetString() == "DatabaseDown");
                return condition(alert);
            },
            () => $"alerts {body}; log {_log.Dump()}",
            "Alertmanager's alerts are as expected");
        return alert;
    }

    private async Task<double?> MetricAsync(string series)
    {
        var metrics = await _http.GetStringAsync(new Uri(_alertmanager.Url, "metrics"));
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
