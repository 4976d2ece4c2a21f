namespace Widgetify.Overload.AdmissionControl;

/// <summary>Why a request was not admitted.</summary>
public enum RejectionReason
{
    /// <summary>Not rejected: the request holds a lease.</summary>
    None = 0,

    /// <summary>The queue held <see cref="AdmissionOptions.QueueCapacity"/> waiters, none of them of lower priority
    /// than the newcomer.</summary>
    QueueFull = 1,

    /// <summary>The request waited as long as the CoDel queue allows (<see cref="AdmissionOptions.QueueInterval"/>,
    /// or <see cref="AdmissionOptions.QueueTargetDelay"/> once a standing queue has formed) without getting a slot.</summary>
    QueueTimeout = 2,

    /// <summary>The caller's cancellation token fired while the request was queued. The controller cannot tell the
    /// server's deadline from a client that went away, so it does not count this as shed; a caller that knows it was
    /// the deadline reports it with <see cref="AdmissionController.ReportDeadlineExceeded"/>.</summary>
    Deadline = 3,

    /// <summary>This instance's connection share is 0 (<see cref="AdmissionController.SetCeiling"/>), so no request
    /// can be served here.</summary>
    NoCapacity = 4,

    /// <summary>The request was queued, and a higher-priority newcomer took its place in the full queue.</summary>
    Evicted = 5,

    /// <summary>Refused before routing while this process's processors were saturated
    /// (<see cref="AdmissionOptions.CpuShed"/>): work waited longer than <see cref="AdmissionOptions.CpuLagTarget"/> for
    /// a thread, and this request was among the share shed for it.</summary>
    CpuOverload = 6,
}
