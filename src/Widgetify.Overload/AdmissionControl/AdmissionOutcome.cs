namespace Widgetify.Overload.AdmissionControl;

/// <summary>How an admitted request ended, as far as the concurrency limit is concerned.</summary>
public enum AdmissionOutcome
{
    /// <summary>The work finished: its latency (grant to <see cref="AdmissionLease.Complete"/>) is a sample of the
    /// gradient limit.</summary>
    Succeeded = 0,

    /// <summary>The request's deadline expired or a database command or pool wait timed out. Counted as a drop:
    /// <see cref="AdmissionOptions.TimeoutsForCongestion"/> drops in one window shrink the limit by
    /// <see cref="AdmissionOptions.BackoffRatio"/> whatever the latency of the requests that did finish.</summary>
    TimedOut = 1,

    /// <summary>No signal about the database: the client cancelled, or the work failed for an unrelated reason.
    /// Releases the slot and is not a sample.</summary>
    Ignored = 2,
}
