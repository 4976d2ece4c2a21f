using System.ComponentModel.DataAnnotations;

namespace Widgetify.Observability.Notifications;

/// <summary>Where alert notifications go and how hard delivery tries (configuration section
/// <c>Widgetify:Monitoring:Webhooks</c>). Every target has its own queue and retries, so a failing one delays only
/// itself; the structured log of every transition is written whatever happens to the webhooks.</summary>
public sealed class WebhookOptions : IValidatableObject
{
    /// <summary>The receivers; none means notifications are only logged.</summary>
    /// <value>Default empty.</value>
    public IList<WebhookTarget> Targets { get; } = [];

    /// <summary>Attempts per notification, the first included, before it is given up with an error log. Network
    /// errors, timeouts, 5xx and 429 are retried; other answers are final.</summary>
    /// <value>Default 6; range 1 to 20.</value>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The delay before the first retry; each further retry doubles it, with jitter (between half and all
    /// of the doubled delay), up to <see cref="MaxRetryDelay"/>.</summary>
    /// <value>Default 1 s; range 10 ms to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts, a Retry-After header's included.</summary>
    /// <value>Default 30 s; range 10 ms to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take before it is abandoned (and retried).</summary>
    /// <value>Default 5 s; range 100 ms to 5 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often still-firing alerts are re-sent to Alertmanager targets, which resolve an alert not re-sent
    /// within their <c>resolve_timeout</c> (5 min by default): keep this well under it.</summary>
    /// <value>Default 1 min; range 1 s to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Notifications queued per target; when a slow or failing target lets more pile up, the oldest is dropped
    /// with a warning, so publishing never blocks the evaluation loop.</summary>
    /// <value>Default 1,000; range 1 to 100,000.</value>
    [Range(1, 100_000)]
    public int QueueCapacity { get; set; } = 1_000;

    /// <summary>How long disposing the notifier waits for queued notifications to be delivered.</summary>
    /// <value>Default 5 s; range 0 to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The rules single-field ranges cannot state: every target has an absolute http(s) URL, and the first
    /// retry delay is not above the cap.</summary>
    /// <param name="validationContext">Unused.</param>
    /// <returns>The broken rules, if any.</returns>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Targets.Count; i++)
        {
            if (Targets[i]?.Url is not { IsAbsoluteUri: true, Scheme: "http" or "https" })
            {
                yield return new ValidationResult(
                    $"Widgetify:Monitoring:Webhooks:Targets:{i}:Url must be an absolute http or https URL, e.g. http://alertmanager:9093.",
                    [nameof(Targets)]);
            }
        }

        if (FirstRetryDelay > MaxRetryDelay)
        {
            yield return new ValidationResult(
                $"Widgetify:Monitoring:Webhooks:FirstRetryDelay ({FirstRetryDelay}) must not exceed MaxRetryDelay ({MaxRetryDelay}).",
                [nameof(FirstRetryDelay), nameof(MaxRetryDelay)]);
        }
    }
}
