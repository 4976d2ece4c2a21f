namespace Widgetify.Postgres.Standbys;

/// <summary>
/// A standby could not be created, started, brought to streaming or removed. The message names the cause
/// (disk space, port, the primary's <c>max_wal_senders</c> or <c>max_replication_slots</c>, pg_basebackup's own
/// error, the end of the standby's log) and what to change. The primary is not affected.
/// </summary>
public sealed class StandbyException : InvalidOperationException
{
    /// <summary>An error with no detail.</summary>
    public StandbyException()
    {
    }

    /// <summary>An error that names no standby.</summary>
    /// <param name="message">What happened, why, and what to change.</param>
    public StandbyException(string message)
        : base(message)
    {
    }

    /// <summary>An error caused by another.</summary>
    /// <param name="message">What happened, why, and what to change.</param>
    /// <param name="innerException">The cause.</param>
    public StandbyException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An error of one standby.</summary>
    /// <param name="standbyName">The standby, such as <c>standby-1</c>.</param>
    /// <param name="message">What happened, why, and what to change.</param>
    /// <param name="innerException">The cause, when there is one.</param>
    public StandbyException(string standbyName, string message, Exception? innerException)
        : base(message, innerException)
    {
        StandbyName = standbyName;
    }

    /// <summary>The standby concerned, when the error is about one.</summary>
    public string? StandbyName { get; }
}
