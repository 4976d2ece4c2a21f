using Microsoft.Extensions.Logging;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;

namespace Widgetify.Scaling.Controller;

/// <summary>Source-generated log messages of the autoscaler.</summary>
internal static partial class ScalingLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Autoscaler off: Widgetify:Scaling:MaxReplicas ({MaxReplicas}) is not above MinReplicas ({MinReplicas}); raise MaxReplicas to let it add standbys under load")]
    public static partial void Disabled(ILogger logger, int minReplicas, int maxReplicas);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "{Instance} leads the autoscaler now (between {MinReplicas} and {MaxReplicas} standbys, provider {Provider})")]
    public static partial void BecameLeader(ILogger logger, string instance, int minReplicas, int maxReplicas, ReplicaProviderKind provider);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "{Instance} no longer leads the autoscaler: {Why}")]
    public static partial void LostLeadership(ILogger logger, string instance, string why);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "Could not renew the autoscaler's leader lease; retrying every second. This instance stops leading if no renewal succeeds within {LeaseDuration} (Widgetify:Scaling:LeaderLeaseDuration)")]
    public static partial void RenewalFailed(ILogger logger, Exception exception, TimeSpan leaseDuration);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information,
        Message = "Scaling {Direction}: {From} -> {To} standbys. {Reason}")]
    public static partial void Decided(ILogger logger, ScalingDirection direction, int from, int to, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information,
        Message = "Scaling {Direction} {From} -> {To} succeeded: {Message}")]
    public static partial void Succeeded(ILogger logger, ScalingDirection direction, int from, int to, string message);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning,
        Message = "Scaling {Direction} {From} -> {To}, attempt {Attempt}, failed; retrying in {Delay} (Widgetify:Scaling:RetryDelay, RetryAttempts): {Message}")]
    public static partial void AttemptFailed(ILogger logger, ScalingDirection direction, int from, int to, int attempt, TimeSpan delay, string message);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error,
        Message = "Scaling {Direction} {From} -> {To} failed after every attempt; the next decision may try again after Widgetify:Scaling:Cooldown. {Message}")]
    public static partial void Failed(ILogger logger, ScalingDirection direction, int from, int to, string message);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning,
        Message = "Could not store a scaling decision in the decisions table; it is kept in this instance's memory only")]
    public static partial void RecordFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "A scaling observer ({Observer}) failed; the autoscaler goes on")]
    public static partial void ObserverFailed(ILogger logger, Exception exception, string observer);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "An autoscaler tick failed; the next one runs in a second")]
    public static partial void TickFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning,
        Message = "Marked {Count} scaling action(s) left pending by a previous leader as failed; check the standbys by hand")]
    public static partial void AbandonedPending(ILogger logger, int count);
}
