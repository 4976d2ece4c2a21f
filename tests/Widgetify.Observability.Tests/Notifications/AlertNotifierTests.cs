using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Notifications;
using static Widgetify.Observability.Tests.Notifications.Alerts;

namespace Widgetify.Observability.Tests.Notifications;

/// <summary>The notifier against real HTTP servers on loopback, its retry delays driven by a fake clock.</summary>
public sealed class AlertNotifierTests : IAsyncLifetime, IDisposable
{
    private const int RetryingEvent = 3;
    private const int GaveUpEvent = 4;
    private const int DeliveredEvent = 6;

    private static readonly Dictionary<string, string> Labels = new() { ["service_name"] = "widgetify", ["service_instance_id"] = "test-1" };

    private readonly TimerCountingFakeTimeProvider _clock = new(T0);
    private readonly RecordingLogger<AlertNotifier> _log = new();
    private readonly HttpClient _http = new();
    private readonly List<AlertNotifier> _notifiers = [];
    private WebhookServer _server = null!;

    public async Task InitializeAsync() => _server = await WebhookServer.StartAsync();

    public async Task DisposeAsync()
    {
        // A notifier whose sender still waits on the fake clock (a failed assertion left a retry pending) only
        // finishes flushing when the clock moves: move it until it does.
        foreach (var notifier in _notifiers)
        {
            var disposing = notifier.DisposeAsync().AsTask();
            while (!disposing.IsCompleted)
            {
                _clock.Advance(TimeSpan.FromSeconds(1));
                await Task.WhenAny(disposing, Task.Delay(10));
            }

            await disposing;
        }

        await _server.DisposeAsync();
    }

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Publish_TargetFailsThreeTimesThenAsksToWait_RetriesWithBackoffAndDeliversOnce()
    {
        // Arrange: 503, 503, 503, 429 with Retry-After: 7, then 200
        _server.Respond = n => n switch
        {
            < 3 => (503, null),
            3 => (429, new Dictionary<string, string> { ["Retry-After"] = "7" }),
            _ => (200, null),
        };
        var notifier = Create(Json(_server.Url));

        // Act
        notifier.Publish([Firing()]);
        var delays = new List<TimeSpan>();
        for (var retry = 1; retry <= 4; retry++)
        {
            delays.Add(await AdvancePastRetryAsync(retry));
        }

        await BoundedWait.UntilAsync(() => _log.WithEvent(DeliveredEvent).Count == 1, _log.Dump, "the notification is delivered");

        // Assert: doubling from 1 s, each jittered to between half and all of it; the Retry-After exactly
        delays[0].ShouldBeInRange(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1));
        delays[1].ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        delays[2].ShouldBeInRange(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
        delays[3].ShouldBe(TimeSpan.FromSeconds(7));
        _server.Requests.Select(r => r.Status).ShouldBe([503, 503, 503, 429, 200]);
        _server.Requests.Select(r => r.Body).Distinct().ShouldHaveSingleItem();
        _log.WithEvent(RetryingEvent)[3].Message.ShouldContain("HTTP 429");
    }

    [Fact]
    public async Task Publish_TargetKeepsFailing_GivesUpAfterMaxAttemptsWithAnError()
    {
        // Arrange
        _server.Respond = _ => (503, null);
        var notifier = Create(Json(_server.Url), o => o.MaxAttempts = 3);

        // Act
        notifier.Publish([Firing()]);
        for (var retry = 1; retry <= 2; retry++)
        {
            await AdvancePastRetryAsync(retry);
        }

        await BoundedWait.UntilAsync(() => _log.WithEvent(GaveUpEvent).Count == 1, _log.Dump, "the notifier gives up");

        // Assert
        _server.Requests.Count.ShouldBe(3);
        var gaveUp = _log.WithEvent(GaveUpEvent).Single();
        gaveUp.Level.ShouldBe(LogLevel.Error);
        gaveUp.Message.ShouldContain("after 3 attempt(s): HTTP 503");
        gaveUp.Message.ShouldContain("Widgetify:Monitoring:Webhooks:MaxAttempts (currently 3)");
    }

    [Fact]
    public async Task Publish_OneTargetUnreachable_TheOtherStillGetsItAndNothingBlocks()
    {
        // Arrange: the first target refuses connections, and its retry waits on a clock that never moves
        var notifier = Create([Json(ClosedPort()), Json(_server.Url)], o => o.FlushTimeout = TimeSpan.Zero);

        // Act
        notifier.Publish([Firing()]);
        notifier.Publish([Resolved()]);

        // Assert
        await BoundedWait.UntilAsync(() => _server.Requests.Count == 2, _log.Dump, "the healthy target gets both notifications");
        await BoundedWait.UntilAsync(() => _log.WithEvent(RetryingEvent).Count == 1, _log.Dump, "the unreachable target is retrying");
        _log.WithEvent(RetryingEvent).Single().Message.ShouldContain(ClosedPortHost);
    }

    [Fact]
    public void Publish_Transitions_LogsEachWithStructuredPropertiesAtTheirLevel()
    {
        // Arrange
        var notifier = Create([]);

        // Act
        notifier.Publish([Pending(), Firing(), Resolved()]);

        // Assert
        var entries = _log.WithEvent(1);
        entries.Select(e => (e.Level, e.Properties["FromState"], e.Properties["ToState"])).ShouldBe(
        [
            (LogLevel.Information, (object?)AlertState.Inactive, (object?)AlertState.Pending),
            (LogLevel.Warning, AlertState.Pending, AlertState.Firing),
            (LogLevel.Information, AlertState.Firing, AlertState.Resolved),
        ]);
        var firing = entries[1];
        firing.Properties["AlertName"].ShouldBe("ResponseTimeSpike");
        firing.Properties["Severity"].ShouldBe(AlertSeverity.Page);
        firing.Properties["Summary"].ShouldBe("p99 1.84 s over 10 s is 12.3x the 0.15 s baseline (ResponseTimeSpike).");
        firing.Properties["Values"].ShouldBe("p99_seconds=1.84, baseline_seconds=0.15");
        firing.Scope["p99_seconds"].ShouldBe(1.84);
        firing.Scope["baseline_seconds"].ShouldBe(0.15);
        firing.Message.ShouldContain("docs/runbooks/ResponseTimeSpike.md");
    }

    [Fact]
    public async Task Publish_PendingTransitions_AreNotSent()
    {
        // Arrange
        var notifier = Create(Json(_server.Url));

        // Act
        notifier.Publish([Pending("PoolSaturation"), new AlertTransition(Snapshot("PoolSaturation", AlertState.Inactive), AlertState.Pending, T0)]);
        notifier.Publish([Firing()]);
        await BoundedWait.UntilAsync(() => _server.Requests.Count == 1, _log.Dump, "the firing alert is sent");
        await notifier.DisposeAsync();

        // Assert: one queue per target keeps order, so anything queued before the firing would have arrived first
        JsonDocument.Parse(_server.Requests.Single().Body).RootElement.GetProperty("to").GetString().ShouldBe("Firing");
    }

    [Fact]
    public async Task Publish_QueueFull_DropsTheOldestWithAWarning()
    {
        // Arrange: a target failing until told otherwise, with room for two queued notifications
        var failing = true;
        _server.Respond = _ => (Volatile.Read(ref failing) ? 503 : 200, null);
        var notifier = Create(Json(_server.Url), o => o.QueueCapacity = 2);
        notifier.Publish([Firing("ResponseTimeSpike")]);
        await UntilRetryWaitsAsync(1); // the sender holds the first one, waiting to retry

        // Act
        notifier.Publish([Firing("PoolSaturation"), Firing("ConnectionWaits"), Firing("DatabaseDown")]);
        Volatile.Write(ref failing, false);
        await AdvancePastRetryAsync(1);
        await BoundedWait.UntilAsync(() => _log.WithEvent(DeliveredEvent).Count == 3, _log.Dump, "the rest is delivered");

        // Assert
        var dropped = _log.WithEvent(2).ShouldHaveSingleItem();
        dropped.Level.ShouldBe(LogLevel.Warning);
        dropped.Message.ShouldContain("PoolSaturation Pending -> Firing");
        dropped.Message.ShouldContain("Widgetify:Monitoring:Webhooks:QueueCapacity");
        _server.Requests.Where(r => r.Status == 200)
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("alert").GetProperty("name").GetString())
            .ShouldBe(["ResponseTimeSpike", "ConnectionWaits", "DatabaseDown"]);
    }

    [Fact]
    public async Task Publish_JsonTarget_PostsTheTransitionCamelCasedWithEnumNamesAndTheToken()
    {
        // Arrange
        var notifier = Create(new WebhookTarget { Url = new Uri(_server.Url, "hooks/alerts?team=db"), Format = WebhookFormat.Json, BearerToken = "s3cret" });

        // Act
        notifier.Publish([Firing()]);
        await BoundedWait.UntilAsync(() => _server.Requests.Count == 1, _log.Dump, "the notification arrives");

        // Assert
        var request = _server.Requests.Single();
        request.Path.ShouldBe("/hooks/alerts");
        request.Authorization.ShouldBe("Bearer s3cret");
        request.ContentType.ShouldBe("application/json");
        var json = JsonDocument.Parse(request.Body).RootElement;
        json.GetProperty("from").GetString().ShouldBe("Pending");
        json.GetProperty("to").GetString().ShouldBe("Firing");
        json.GetProperty("at").GetDateTimeOffset().ShouldBe(T0.AddSeconds(3));
        var alert = json.GetProperty("alert");
        alert.GetProperty("name").GetString().ShouldBe("ResponseTimeSpike");
        alert.GetProperty("severity").GetString().ShouldBe("Page");
        alert.GetProperty("values").GetProperty("p99_seconds").GetDouble().ShouldBe(1.84);
        alert.GetProperty("runbook").GetString().ShouldBe("docs/runbooks/ResponseTimeSpike.md");
        await BoundedWait.UntilAsync(() => _log.WithEvent(DeliveredEvent).Count == 1, _log.Dump, "delivery is logged");
        _log.Dump().ShouldNotContain("s3cret");
    }

    [Fact]
    public async Task Publish_AlertmanagerTarget_PostsToTheApiPathWithLabelsAndAnnotations()
    {
        // Arrange: a base URL with a path prefix
        var notifier = Create(new WebhookTarget { Url = new Uri(_server.Url, "am/"), Format = WebhookFormat.Alertmanager });

        // Act
        notifier.Publish([Firing()]);
        await BoundedWait.UntilAsync(() => _server.Requests.Count == 1, _log.Dump, "the alert arrives");

        // Assert
        var request = _server.Requests.Single();
        request.Path.ShouldBe("/am/api/v2/alerts");
        var alert = JsonDocument.Parse(request.Body).RootElement.EnumerateArray().ShouldHaveSingleItem();
        var labels = alert.GetProperty("labels");
        labels.GetProperty("alertname").GetString().ShouldBe("ResponseTimeSpike");
        labels.GetProperty("severity").GetString().ShouldBe("page");
        labels.GetProperty("service").GetString().ShouldBe("widgetify");
        labels.GetProperty("service_instance_id").GetString().ShouldBe("test-1");
        alert.GetProperty("annotations").GetProperty("runbook_url").GetString().ShouldBe("https://widgetify.example/docs/runbooks/ResponseTimeSpike.md");
        alert.GetProperty("startsAt").GetString().ShouldBe("2026-02-15T12:00:03.000Z");
        alert.TryGetProperty("endsAt", out _).ShouldBeFalse();
        alert.GetProperty("generatorURL").GetString().ShouldBe("https://widgetify.example/api/alerts");
    }

    [Fact]
    public async Task ResendInterval_AlertStillFiring_IsResentUntilResolved()
    {
        // Arrange
        var notifier = Create(new WebhookTarget { Url = _server.Url });
        notifier.Publish([Firing()]);
        await UntilDeliveredAsync(1); // delivered, not just received: moving the clock mid-attempt would time it out

        // Act: one interval later it is re-sent; resolved, it is not any more
        _clock.Advance(TimeSpan.FromMinutes(1));
        await UntilDeliveredAsync(2);
        notifier.Publish([Resolved()]);
        await UntilDeliveredAsync(3);
        _clock.Advance(TimeSpan.FromMinutes(1));
        notifier.Publish([Firing("DatabaseDown")]);
        await BoundedWait.UntilAsync(() => _server.Requests.Count == 4, _log.Dump, "the next alert arrives");

        // Assert: the fourth request is the new alert, not a re-send of the resolved one
        var bodies = _server.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.EnumerateArray().ShouldHaveSingleItem()).ToList();
        bodies[1].GetProperty("labels").GetProperty("alertname").GetString().ShouldBe("ResponseTimeSpike");
        bodies[1].TryGetProperty("endsAt", out _).ShouldBeFalse();
        bodies[2].GetProperty("endsAt").GetString().ShouldBe("2026-02-15T12:01:00.000Z");
        bodies[3].GetProperty("labels").GetProperty("alertname").GetString().ShouldBe("DatabaseDown");
    }

    [Fact]
    public async Task Publish_AlertmanagerEscalation_EndsTheTicketAlertAndFiresThePage()
    {
        // Arrange
        var notifier = Create(new WebhookTarget { Url = _server.Url });
        notifier.Publish([Firing("ErrorBudgetBurn", AlertSeverity.Ticket)]);

        // Act
        var escalation = new AlertTransition(Snapshot("ErrorBudgetBurn", AlertState.Firing, AlertSeverity.Page), AlertState.Firing, T0.AddSeconds(90));
        notifier.Publish([escalation]);
        await BoundedWait.UntilAsync(() => _server.Requests.Count == 2, _log.Dump, "both arrive");

        // Assert
        var alerts = JsonDocument.Parse(_server.Requests.Last().Body).RootElement.EnumerateArray().ToList();
        alerts.Select(a => a.GetProperty("labels").GetProperty("severity").GetString()).ShouldBe(["ticket", "page"]);
        alerts[0].GetProperty("endsAt").GetString().ShouldBe("2026-02-15T12:01:30.000Z");
        alerts[1].TryGetProperty("endsAt", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task DisposeAsync_NotificationsQueued_DeliversThemFirst()
    {
        // Arrange
        var notifier = Create(Json(_server.Url));

        // Act
        notifier.Publish([Firing(), Resolved()]);
        await notifier.DisposeAsync();

        // Assert
        _server.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public void Constructor_RelativeTargetUrl_ThrowsNamingTheSetting()
    {
        // Arrange
        var options = new WebhookOptions { Targets = { new WebhookTarget { Url = new Uri("alerts", UriKind.Relative) } } };

        // Act
        var error = Should.Throw<ValidationException>(() => new AlertNotifier(options, Labels, null, _http, _clock, _log));

        // Assert
        error.Message.ShouldContain("Widgetify:Monitoring:Webhooks:Targets:0:Url");
    }

    private Task UntilDeliveredAsync(int count) =>
        BoundedWait.UntilAsync(() => _log.WithEvent(DeliveredEvent).Count == count, _log.Dump, $"{count} notification(s) are delivered");

    private static WebhookTarget Json(Uri url) => new() { Url = url, Format = WebhookFormat.Json };

    private const string ClosedPortHost = "127.0.0.1";

    /// <summary>A loopback URL nothing listens on: the port was just free.</summary>
    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://{ClosedPortHost}:{port}/hook");
    }

    private AlertNotifier Create(WebhookTarget target, Action<WebhookOptions>? configure = null) => Create([target], configure);

    private AlertNotifier Create(WebhookTarget[] targets, Action<WebhookOptions>? configure = null)
    {
        var options = new WebhookOptions();
        foreach (var target in targets)
        {
            options.Targets.Add(target);
        }

        configure?.Invoke(options);
        var notifier = new AlertNotifier(options, Labels, "https://widgetify.example/", _http, _clock, _log, new Random(42));
        _notifiers.Add(notifier);
        return notifier;
    }

    /// <summary>Waits for the n-th retry, then moves the clock by exactly its delay (a longer step could also fire the
    /// next attempt's timeout, which the sender creates while the clock is still moving).</summary>
    /// <returns>The delay.</returns>
    private async Task<TimeSpan> AdvancePastRetryAsync(int retry)
    {
        await UntilRetryWaitsAsync(retry);
        var delay = (TimeSpan)_log.WithEvent(RetryingEvent)[retry - 1].Properties["RetryDelay"]!;
        _clock.Advance(delay);
        return delay;
    }

    /// <summary>Until the n-th retry is logged and its delay is the only timer left (the attempt's timeout is gone), so
    /// advancing the clock by the delay fires exactly it.</summary>
    private Task UntilRetryWaitsAsync(int retry) => BoundedWait.UntilAsync(
        () => _log.WithEvent(RetryingEvent).Count == retry && _clock.ArmedTimers == 1,
        () => $"{_clock.ArmedTimers} timer(s); {_log.Dump()}",
        $"retry {retry} waits on its delay");
}
