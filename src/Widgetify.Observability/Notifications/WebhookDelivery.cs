using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Widgetify.Observability.Alerts;

namespace Widgetify.Observability.Notifications;

/// <summary>One target's queue and sender: notifications go out one at a time, in order (a resolution never overtakes
/// its firing), each retried by the target's pipeline. Every target has its own, so a failing one delays only itself.</summary>
internal sealed class WebhookDelivery
{
    private static readonly JsonSerializerOptions JsonFormat = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly Channel<AlertTransition?> _queue; // null: re-send the firing alerts
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly WebhookFormat _format;
    private readonly string? _bearerToken;
    private readonly AlertmanagerPayload _alertmanager;
    private readonly ILogger _logger;
    private readonly int _maxAttempts;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<string, AlertSnapshot> _firing = new(StringComparer.Ordinal); // the sender's only
    private int _resendQueued;

    public WebhookDelivery(
        WebhookTarget target, WebhookOptions options, AlertmanagerPayload alertmanager, HttpClient http, TimeProvider timeProvider,
        Random random, ILogger logger, CancellationToken stopping)
    {
        _format = target.Format;
        _url = _format == WebhookFormat.Alertmanager ? AlertmanagerPayload.ApiUrl(target.Url!) : target.Url!;
        _bearerToken = target.BearerToken;
        _alertmanager = alertmanager;
        _http = http;
        _logger = logger;
        _maxAttempts = options.MaxAttempts;
        _timeout = options.Timeout;

        // Scheme, host and path: enough to tell targets apart. No user info, query or fragment: a URL like
        // https://user:token@host/hook must not put its token in the logs.
        Name = _url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        var capacity = options.QueueCapacity;
        _queue = Channel.CreateBounded<AlertTransition?>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped =>
            {
                if (dropped is null)
                {
                    // The queued re-send went: let the next timer tick queue another, or re-sends would stop for good.
                    Volatile.Write(ref _resendQueued, 0);
                }

                NotificationLog.Dropped(_logger, dropped is null ? "re-send of firing alerts" : Describe(dropped), Name, capacity);
            });
        _pipeline = WebhookRetry.Build(options, timeProvider, random.NextDouble, OnRetry);
        Completion = Task.Run(() => RunAsync(stopping), CancellationToken.None);
    }

    /// <summary>The target, for logs.</summary>
    public string Name { get; }

    public bool IsAlertmanager => _format == WebhookFormat.Alertmanager;

    /// <summary>Ends when the queue is drained after <see cref="Complete"/>, or when stopped. Never faults.</summary>
    public Task Completion { get; }

    public void Enqueue(AlertTransition transition) => _queue.Writer.TryWrite(transition);

    /// <summary>Queues a re-send of the firing alerts, unless one is already waiting (a second would send the same).</summary>
    public void EnqueueResend()
    {
        if (Interlocked.Exchange(ref _resendQueued, 1) == 0 && !_queue.Writer.TryWrite(null))
        {
            Volatile.Write(ref _resendQueued, 0);
        }
    }

    /// <summary>Accepts no more notifications; the queued ones still go out.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    internal static string Describe(AlertTransition transition) => $"{transition.Alert.Name} {transition.From} -> {transition.To}";

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var transition in _queue.Reader.ReadAllAsync(stopping))
            {
                try
                {
                    await HandleAsync(transition, stopping);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    NotificationLog.Unexpected(_logger, e, transition is null ? "re-send" : Describe(transition), Name);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped with notifications still queued: the notifier logged it.
        }
    }

    private Task HandleAsync(AlertTransition? transition, CancellationToken stopping)
    {
        if (transition is null)
        {
            Volatile.Write(ref _resendQueued, 0);
            return _firing.Count == 0
                ? Task.CompletedTask
                : SendAsync(_alertmanager.Serialize(_firing.Values.Select(a => (a, (DateTimeOffset?)null))), $"re-send of {_firing.Count} firing alert(s)", stopping);
        }

        if (_format == WebhookFormat.Json)
        {
            return SendAsync(JsonSerializer.SerializeToUtf8Bytes(transition, JsonFormat), Describe(transition), stopping);
        }

        var alert = transition.Alert;
        var alerts = new List<(AlertSnapshot, DateTimeOffset?)>(2);
        if (transition.To == AlertState.Firing)
        {
            // Severity is a label, so an escalated alert is another Alertmanager alert: end the old one with it.
            if (_firing.TryGetValue(alert.Name, out var previous) && previous.Severity != alert.Severity)
            {
                alerts.Add((previous, transition.At));
            }

            _firing[alert.Name] = alert;
            alerts.Add((alert, null));
        }
        else
        {
            _firing.Remove(alert.Name);
            alerts.Add((alert, alert.ResolvedAt ?? transition.At));
        }

        return SendAsync(_alertmanager.Serialize(alerts), Describe(transition), stopping);
    }

    private async Task SendAsync(byte[] body, string notification, CancellationToken stopping)
    {
        var context = ResilienceContextPool.Shared.Get(stopping);
        context.Properties.Set(WebhookRetry.Notification, notification);
        var attempt = new Attempt(this, body);
        try
        {
            using var response = await _pipeline.ExecuteAsync(static (context, attempt) => attempt.SendAsync(context.CancellationToken), context, attempt);
            if (response.IsSuccessStatusCode)
            {
                NotificationLog.Delivered(_logger, notification, Name, attempt.Count);
                return;
            }

            if (WebhookRetry.IsTransient(response.StatusCode))
            {
                NotificationLog.GaveUp(_logger, notification, Name, attempt.Count, $"HTTP {(int)response.StatusCode}", _maxAttempts);
            }
            else
            {
                NotificationLog.Rejected(_logger, Name, notification, (int)response.StatusCode, await ReadSnippetAsync(response, stopping));
            }
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException || (e is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            NotificationLog.GaveUp(_logger, notification, Name, attempt.Count, Failure(e), _maxAttempts);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ValueTask OnRetry(OnRetryArguments<HttpResponseMessage> args)
    {
        var failure = args.Outcome.Exception is { } e ? Failure(e) : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
        NotificationLog.Retrying(_logger, args.Context.Properties.GetValue(WebhookRetry.Notification, "?"), Name, failure,
            args.AttemptNumber + 2, _maxAttempts, args.RetryDelay);
        return ValueTask.CompletedTask;
    }

    private string Failure(Exception e) => e switch
    {
        TimeoutRejectedException => $"no answer within {_timeout.TotalSeconds} s (Widgetify:Monitoring:Webhooks:Timeout)",
        TaskCanceledException => "HttpClient.Timeout elapsed",
        _ => e.Message,
    };

    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response, CancellationToken stopping)
    {
        var body = await response.Content.ReadAsStringAsync(stopping);
        return body.Length > 500 ? body[..500] + "..." : body;
    }

    /// <summary>One notification's attempts: each sends a fresh request (a request message cannot be sent twice).</summary>
    private sealed class Attempt(WebhookDelivery owner, byte[] body)
    {
        public int Count { get; private set; }

        public async ValueTask<HttpResponseMessage> SendAsync(CancellationToken cancellationToken)
        {
            Count++;
            using var request = new HttpRequestMessage(HttpMethod.Post, owner._url)
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            if (owner._bearerToken is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return await owner._http.SendAsync(request, cancellationToken);
        }
    }
}
