using Microsoft.Extensions.Logging;
using Widgetify.Observability.Alerts;

namespace Widgetify.Observability.Notifications;

/// <summary>Source-generated log messages of the alert notifier.</summary>
internal static partial class NotificationLog
{
    /// <summary>The structured-log notification: Warning when an alert fires, Information otherwise. The values are
    /// also in a scope, one property each, for log pipelines that index scopes.</summary>
    [LoggerMessage(EventId = 1, Message = "Alert {AlertName} {FromState} -> {ToState} ({Severity}): {Summary} [{Values}] Runbook: {Runbook}")]
    public static partial void AlertTransitioned(
        ILogger logger, LogLevel level, string alertName, AlertState fromState, AlertState toState, AlertSeverity severity, string summary, string values, string runbook);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Dropped the oldest queued alert notification ({Notification}) for {Target}: more than {QueueCapacity} were waiting " +
            "(Widgetify:Monitoring:Webhooks:QueueCapacity). The target is slow or failing; check it, or raise the capacity")]
    public static partial void Dropped(ILogger logger, string notification, string target, int queueCapacity);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Alert notification {Notification} to {Target} failed ({Failure}); attempt {NextAttempt} of {MaxAttempts} in {RetryDelay}")]
    public static partial void Retrying(ILogger logger, string notification, string target, string failure, int nextAttempt, int maxAttempts, TimeSpan retryDelay);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error,
        Message = "Gave up delivering alert notification {Notification} to {Target} after {Attempts} attempt(s): {Failure}. " +
            "Check that the target is up and reachable, or raise Widgetify:Monitoring:Webhooks:MaxAttempts (currently {MaxAttempts})")]
    public static partial void GaveUp(ILogger logger, string notification, string target, int attempts, string failure, int maxAttempts);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error,
        Message = "{Target} rejected alert notification {Notification} with {StatusCode}: {Body}. Such an answer is not retried; check the target's URL and token")]
    public static partial void Rejected(ILogger logger, string target, string notification, int statusCode, string body);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Delivered alert notification {Notification} to {Target} after {Attempts} attempt(s)")]
    public static partial void Delivered(ILogger logger, string notification, string target, int attempts);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning,
        Message = "Stopped delivering to {Target} with notifications still queued: they did not go out within Widgetify:Monitoring:Webhooks:FlushTimeout ({FlushTimeout})")]
    public static partial void FlushTimedOut(ILogger logger, string target, TimeSpan flushTimeout);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "Delivering alert notification {Notification} to {Target} failed unexpectedly; the next one is tried regardless")]
    public static partial void Unexpected(ILogger logger, Exception exception, string notification, string target);
}
