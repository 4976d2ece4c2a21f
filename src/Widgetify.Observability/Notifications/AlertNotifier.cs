using System.Collections;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Widgetify.Observability.Alerts;

namespace Widgetify.Observability.Notifications;

/// <summary>Tells people about alert transitions: a structured log entry for every one (Warning when an alert fires,
/// Information otherwise), and, for firing and resolved alerts, a POST to each configured webhook target, in
/// Alertmanager's format (firing alerts re-sent every <see cref="WebhookOptions.ResendInterval"/>) or as plain JSON.
/// <see cref="Publish"/> only queues, never waits: each target has a bounded queue and its own background sender that
/// retries with backoff, so a slow or failing target delays neither the others nor the evaluation loop. The senders
/// start with the notifier; <see cref="DisposeAsync"/> delivers what it can within
/// <see cref="WebhookOptions.FlushTimeout"/>, then stops them.</summary>
public sealed class AlertNotifier : IAsyncDisposable
{
    private readonly WebhookDelivery[] _targets;
    private readonly ITimer? _resendTimer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _flushTimeout;
    private readonly ILogger _logger;
    private int _disposed;

    /// <summary>Creates the notifier and starts one sender per target.</summary>
    /// <param name="options">Targets and retry settings; validated, then copied.</param>
    /// <param name="instanceLabels">Labels of this instance added to every Alertmanager alert, e.g.
    /// <c>service_name</c> (also the <c>service</c> label) and <c>service_instance_id</c>.</param>
    /// <param name="externalUrl">The service's public base URL, for links (generatorURL, runbook_url); null if unknown.</param>
    /// <param name="httpClient">Sends the webhooks; not disposed here.</param>
    /// <param name="timeProvider">Clock of retries, timeouts and re-sends.</param>
    /// <param name="logger">Receives the structured log of every transition and the delivery failures.</param>
    /// <exception cref="ValidationException">An option is out of range or a target's URL is not absolute http(s).</exception>
    public AlertNotifier(
        WebhookOptions options, IReadOnlyDictionary<string, string> instanceLabels, string? externalUrl, HttpClient httpClient,
        TimeProvider timeProvider, ILogger<AlertNotifier> logger)
        : this(options, instanceLabels, externalUrl, httpClient, timeProvider, logger, Random.Shared)
    {
    }

    /// <summary>As the public constructor, with the source of retry jitter (seeded in tests).</summary>
    internal AlertNotifier(
        WebhookOptions options, IReadOnlyDictionary<string, string> instanceLabels, string? externalUrl, HttpClient httpClient,
        TimeProvider timeProvider, ILogger<AlertNotifier> logger, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(instanceLabels);
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(random);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

        _timeProvider = timeProvider;
        _flushTimeout = options.FlushTimeout;
        _logger = logger;
        var alertmanager = new AlertmanagerPayload(instanceLabels, externalUrl);

        // Each sender gets its own generator: Random is not thread-safe, and seeding them from one keeps tests repeatable.
        _targets = [.. options.Targets.Select(t => new WebhookDelivery(
            t, options, alertmanager, httpClient, timeProvider, new Random(random.Next()), logger, _stopping.Token))];
        if (_targets.Any(t => t.IsAlertmanager))
        {
            _resendTimer = timeProvider.CreateTimer(
                static state => ((AlertNotifier)state!).Resend(), this, options.ResendInterval, options.ResendInterval);
        }
    }

    /// <summary>Logs every transition and queues the firing and resolved ones (escalations included) for the webhook
    /// targets; pending alerts are not sent. Returns at once; when a target's queue is full its oldest notification is
    /// dropped, with a warning.</summary>
    /// <param name="transitions">What <see cref="AlertEvaluator.Evaluate"/> returned.</param>
    public void Publish(IReadOnlyList<AlertTransition> transitions)
    {
        ArgumentNullException.ThrowIfNull(transitions);
        foreach (var transition in transitions)
        {
            Log(transition);
            if (transition.To is AlertState.Firing or AlertState.Resolved && Volatile.Read(ref _disposed) == 0)
            {
                foreach (var target in _targets)
                {
                    target.Enqueue(transition);
                }
            }
        }
    }

    /// <summary>Stops re-sending, lets each sender deliver what is queued for up to
    /// <see cref="WebhookOptions.FlushTimeout"/>, then stops them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_resendTimer is not null)
        {
            await _resendTimer.DisposeAsync();
        }

        foreach (var target in _targets)
        {
            target.Complete();
        }

        var drained = Task.WhenAll(_targets.Select(t => t.Completion));
        try
        {
            await drained.WaitAsync(_flushTimeout, _timeProvider);
        }
        catch (TimeoutException)
        {
            foreach (var target in _targets.Where(t => !t.Completion.IsCompleted))
            {
                NotificationLog.FlushTimedOut(_logger, target.Name, _flushTimeout);
            }

            await _stopping.CancelAsync();
            await drained;
        }

        _stopping.Dispose();
    }

    private void Resend()
    {
        foreach (var target in _targets)
        {
            if (target.IsAlertmanager)
            {
                target.EnqueueResend();
            }
        }
    }

    private void Log(AlertTransition transition)
    {
        var level = transition.To == AlertState.Firing ? LogLevel.Warning : LogLevel.Information;
        if (_logger.IsEnabled(level))
        {
            var alert = transition.Alert;
            var values = new ValuesScope(alert.Values);
            var described = values.ToString();
            using (_logger.BeginScope(values))
            {
                NotificationLog.AlertTransitioned(_logger, level, alert.Name, transition.From, transition.To, alert.Severity, alert.Summary,
                    described, alert.Runbook);
            }
        }
    }

    /// <summary>An alert's values as scope properties, one per value, so a JSON log carries <c>p99_seconds</c> as a
    /// number rather than inside a string.</summary>
    private sealed class ValuesScope(IReadOnlyDictionary<string, double> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _items = [.. values.Select(v => new KeyValuePair<string, object?>(v.Key, v.Value))];

        public int Count => _items.Length;

        public KeyValuePair<string, object?> this[int index] => _items[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_items).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => AlertText.Values(values);
    }
}
