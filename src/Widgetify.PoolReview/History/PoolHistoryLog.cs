using Microsoft.Extensions.Logging;

namespace Widgetify.PoolReview.History;

/// <summary>Source-generated log messages of the pool history.</summary>
internal static partial class PoolHistoryLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Could not write the pool history to the database; {Minutes} minutes wait in memory and are written when it answers (at most {Capacity}: beyond that the oldest are dropped)")]
    public static partial void WriteFailed(ILogger logger, Exception exception, int minutes, int capacity);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "The pool history is written to the database again; {Dropped} minutes were dropped while it was away")]
    public static partial void WriteRecovered(ILogger logger, long dropped);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Dropping the oldest pool history minutes: the database has been away longer than the {Capacity} minutes held in memory, so the review will see a gap there")]
    public static partial void MinutesDropped(ILogger logger, int capacity);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information,
        Message = "Deleted {Rows} pool history minutes before {Cutoff:O} (Widgetify:Review:HistoryRetention is {Retention})")]
    public static partial void Trimmed(ILogger logger, int rows, DateTimeOffset cutoff, TimeSpan retention);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Recording a second of pool history failed; the history skips {At:O}")]
    public static partial void ObserveFailed(ILogger logger, Exception exception, DateTimeOffset? at);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning,
        Message = "Could not write the pool history, the database is unavailable ({Reason}); {Minutes} minutes wait in memory and are written when it answers (at most {Capacity}: beyond that the oldest are dropped)")]
    public static partial void WriteFailedDatabaseAway(ILogger logger, string reason, int minutes, int capacity);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "The last pool history flush at stop failed unexpectedly")]
    public static partial void WriteFailedAtStop(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning,
        Message = "Stopping without writing {Minutes} minutes of pool history, {Reason}: they are lost, and the pool review will see a gap there")]
    public static partial void LostAtStop(ILogger logger, int minutes, string reason);
}
