using Microsoft.Extensions.Logging;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>Source-generated log messages of the pool governor.</summary>
internal static partial class PoolGovernanceLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Reason}")]
    public static partial void PoolClamped(ILogger logger, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Reason}")]
    public static partial void PoolWithinBudget(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information,
        Message = "Connection share of {InstanceName} changed from {OldShare} to {NewShare} (fair target {Target}, budget {Budget}, {Instances} instance(s))")]
    public static partial void ShareChanged(ILogger logger, string instanceName, int oldShare, int newShare, int target, int? budget, int instances);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "Could not renew the connection-budget lease of {InstanceName}; retrying every {HeartbeatInterval} (Widgetify:ConnectionBudget:HeartbeatInterval). The share drops to 0 if no renewal succeeds within {LeaseDuration} (Widgetify:ConnectionBudget:LeaseDuration)")]
    public static partial void RenewalFailed(ILogger logger, Exception exception, string instanceName, TimeSpan heartbeatInterval, TimeSpan leaseDuration);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error,
        Message = "The connection-budget lease of {InstanceName} was not renewed for {LeaseDuration} (Widgetify:ConnectionBudget:LeaseDuration): peers may have taken its share, so it opens no connection until a renewal succeeds. Check that PostgreSQL is reachable")]
    public static partial void LeaseLost(ILogger logger, string instanceName, TimeSpan leaseDuration);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information,
        Message = "Removed {Count} expired connection-budget lease(s): instances that stopped renewing within Widgetify:ConnectionBudget:LeaseDuration; their share goes back to the live ones")]
    public static partial void ExpiredLeasesRemoved(ILogger logger, int count);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Released the connection-budget lease of {InstanceName}")]
    public static partial void LeaseReleased(ILogger logger, string instanceName);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "A ShareChanged handler failed; the share of {InstanceName} is {Share} regardless")]
    public static partial void ShareChangedHandlerFailed(ILogger logger, Exception exception, string instanceName, int share);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning,
        Message = "Could not release the connection-budget lease of {InstanceName} on stop; peers get its share back when it expires within {LeaseDuration} (Widgetify:ConnectionBudget:LeaseDuration)")]
    public static partial void LeaseNotReleased(ILogger logger, Exception exception, string instanceName, TimeSpan leaseDuration);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning,
        Message = "Could not release the connection-budget lease of {InstanceName} on stop, the database is unavailable ({Reason}); the lease expires by itself within {LeaseDuration} (Widgetify:ConnectionBudget:LeaseDuration) and peers then get its share back")]
    public static partial void LeaseNotReleasedDatabaseAway(ILogger logger, string instanceName, string reason, TimeSpan leaseDuration);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning,
        Message = "Could not renew the connection-budget lease of {InstanceName}, the database is unavailable ({Reason}); retrying every {HeartbeatInterval} (Widgetify:ConnectionBudget:HeartbeatInterval). The share drops to 0 if no renewal succeeds within {LeaseDuration} (Widgetify:ConnectionBudget:LeaseDuration)")]
    public static partial void RenewalFailedDatabaseAway(ILogger logger, string instanceName, string reason, TimeSpan heartbeatInterval, TimeSpan leaseDuration);
}
