using Microsoft.Extensions.Logging;

namespace Widgetify.Incidents;

/// <summary>Source-generated log messages of the incident timeline.</summary>
internal static partial class IncidentLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Incident {IncidentId} opened: {Title} (impact since {ImpactStartedAt:O})")]
    public static partial void Opened(ILogger logger, Guid incidentId, string title, DateTimeOffset impactStartedAt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Joined incident {IncidentId}, already open in the database (another instance or before a restart)")]
    public static partial void Joined(ILogger logger, Guid incidentId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Incident {IncidentId} mitigated at {MitigatedAt:O}")]
    public static partial void Mitigated(ILogger logger, Guid incidentId, DateTimeOffset mitigatedAt);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Incident {IncidentId} resolved at {ResolvedAt:O}: {FailedOrShedPercent:0.##}% of {Requests} requests failed or shed, {ClientClosed} given up by their clients (499, not failures), {ClientsAffectedPercent:0.##}% of clients affected")]
    public static partial void Resolved(
        ILogger logger, Guid incidentId, DateTimeOffset? resolvedAt, double failedOrShedPercent, long requests, long clientClosed, double clientsAffectedPercent);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "This instance recovered; incident {IncidentId} stays open while {Instances} still report it")]
    public static partial void Left(ILogger logger, Guid incidentId, IReadOnlyList<string> instances);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning,
        Message = "Could not write the incident timeline to the database; {Ops} entries and {Samples} samples wait in memory and are written when it answers (samples beyond Widgetify:Monitoring:Incidents:SampleRetention are dropped, entries never)")]
    public static partial void FlushFailed(ILogger logger, Exception exception, int ops, int samples);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "The incident timeline is written to the database again")]
    public static partial void FlushRecovered(ILogger logger);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning,
        Message = "Dropped the {Count} oldest incident samples: the database was unreachable longer than Widgetify:Monitoring:Incidents:SampleRetention")]
    public static partial void SamplesDropped(ILogger logger, long count);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "Postmortem draft of incident {IncidentId} written to {Path}")]
    public static partial void PostmortemWritten(ILogger logger, Guid incidentId, string path);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error,
        Message = "Could not write the postmortem draft of incident {IncidentId} to {Directory} (Widgetify:Monitoring:Incidents:PostmortemDirectory); './widgetify postmortem {IncidentId}' writes it from the database")]
    public static partial void PostmortemFailed(ILogger logger, Exception exception, Guid incidentId, string directory);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "A Resolved handler failed for incident {IncidentId}")]
    public static partial void ResolvedHandlerFailed(ILogger logger, Exception exception, Guid incidentId);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "Observing a snapshot failed; the incident timeline skips {At:O}")]
    public static partial void ObserveFailed(ILogger logger, Exception exception, DateTimeOffset at);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Re-attached to incident {IncidentId}, still open in the database: {Title}")]
    public static partial void Reattached(ILogger logger, Guid incidentId, string title);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning,
        Message = "Could not prepare the incident tables or look for an open incident; retrying with every flush (Widgetify:Monitoring:Incidents:FlushInterval)")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning,
        Message = "Resolved incident(s) no instance had reported on for {Liveness} as abandoned (their instances stopped before they resolved)")]
    public static partial void AbandonedClosed(ILogger logger, TimeSpan liveness);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning,
        Message = "Could not write the incident timeline, the database is unavailable ({Reason}); {Entries} entries and {Samples} samples wait in memory and are written when it answers (samples beyond Widgetify:Monitoring:Incidents:SampleRetention are dropped, entries never)")]
    public static partial void FlushFailedDatabaseAway(ILogger logger, string reason, int entries, int samples);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning,
        Message = "Could not prepare the incident tables or look for an open incident, the database is unavailable ({Reason}); retrying with every flush (Widgetify:Monitoring:Incidents:FlushInterval)")]
    public static partial void StartFailedDatabaseAway(ILogger logger, string reason);

    [LoggerMessage(EventId = 18, Level = LogLevel.Information,
        Message = "Loaded {Entries} incident timeline entries and {Samples} samples from {Path}, kept when the service stopped before the database came back (instance {Instances}); they are written to the database before anything new, then the file is deleted")]
    public static partial void SpoolLoaded(ILogger logger, string path, int entries, int samples, string instances);

    [LoggerMessage(EventId = 19, Level = LogLevel.Information,
        Message = "Wrote the {Entries} incident timeline entries and {Samples} samples kept in {Path} to the database, and deleted the file")]
    public static partial void SpoolDelivered(ILogger logger, int entries, int samples, string path);

    [LoggerMessage(EventId = 20, Level = LogLevel.Error,
        Message = "Could not read the incident spool {Path}: {Reason}. Moved it to {MovedTo} and started without it: what it holds is not in the database (read it, then delete it)")]
    public static partial void SpoolUnreadable(ILogger logger, string path, string reason, string movedTo);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error,
        Message = "Could not use the incident spool {Path}: {Reason}; nor move it aside: {MoveFailure}. Going on without it; the next stop that has writes waiting replaces it")]
    public static partial void SpoolNotMovedAside(ILogger logger, string path, string reason, string moveFailure);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning,
        Message = "Wrote the incident spool {Path} to the database but could not delete it ({Reason}); the next start writes it again, which stores nothing twice")]
    public static partial void SpoolNotDeleted(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "The last incident timeline flush at stop failed unexpectedly")]
    public static partial void FinalFlushFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning,
        Message = "Stopping without writing the incident timeline, {Reason}: {Entries} entries and {Samples} samples are kept in {Path} (mode 0600) and written to the database at the next start")]
    public static partial void Spooled(ILogger logger, string reason, int entries, int samples, string path);

    [LoggerMessage(EventId = 25, Level = LogLevel.Error,
        Message = "Stopping without writing the incident timeline, {Reason}: {Entries} entries and {Samples} samples are lost. Set Widgetify:Monitoring:Incidents:SpoolFile to keep them for the next start ('./widgetify up' does)")]
    public static partial void OutboxLost(ILogger logger, string reason, int entries, int samples);

    [LoggerMessage(EventId = 26, Level = LogLevel.Error,
        Message = "Could not write the incident spool {Path} (Widgetify:Monitoring:Incidents:SpoolFile): {Entries} timeline entries and {Samples} samples waiting for the database are lost. Check that the service may write to that folder and that the disk has room")]
    public static partial void SpoolWriteFailed(ILogger logger, Exception exception, string path, int entries, int samples);

    [LoggerMessage(EventId = 28, Level = LogLevel.Warning,
        Message = "Could not keep the incident timeline that waits for the database in {Path} (Widgetify:Monitoring:Incidents:SpoolFile; {Reason}): if this process is killed before the database returns, {Entries} entries and {Samples} samples are lost. Check that the service may write to that folder and that the disk has room")]
    public static partial void CheckpointFailed(ILogger logger, string path, int entries, int samples, string reason);

    [LoggerMessage(EventId = 27, Level = LogLevel.Error,
        Message = "The database refused the incident spool {Path} (a retry would be refused too); moved it to {MovedTo} and went on without it: what it holds is not in the database (read it, then delete it)")]
    public static partial void SpoolRefused(ILogger logger, Exception exception, string path, string movedTo);
}
