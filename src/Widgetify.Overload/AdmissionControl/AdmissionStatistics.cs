namespace Widgetify.Overload.AdmissionControl;

/// <summary>A consistent snapshot of an <see cref="AdmissionController"/>, taken under its lock.</summary>
public sealed class AdmissionStatistics
{
    private readonly int[] _queuedByPriority;

    internal AdmissionStatistics(int[] queuedByPriority) => _queuedByPriority = queuedByPriority;

    /// <summary>The current concurrency limit (requests); 0 while the ceiling is 0.</summary>
    public int Limit { get; init; }

    /// <summary>The connection share set by <see cref="AdmissionController.SetCeiling"/>; null when none was set.</summary>
    public int? Ceiling { get; init; }

    /// <summary>Requests holding a lease.</summary>
    public int InFlight { get; init; }

    /// <summary>Requests waiting, all priorities.</summary>
    public int Queued { get; init; }

    /// <summary>The learned no-load latency; null until the first window with samples closed.</summary>
    public TimeSpan? BaselineLatency { get; init; }

    /// <summary>Mean latency of the last window that closed with samples.</summary>
    public TimeSpan? LastWindowLatency { get; init; }

    /// <summary>Requests admitted since start, immediately or from the queue.</summary>
    public long TotalAdmitted { get; init; }

    /// <summary>Refused because the queue was full (<see cref="RejectionReason.QueueFull"/>).</summary>
    public long TotalQueueFull { get; init; }

    /// <summary>Timed out in the queue (<see cref="RejectionReason.QueueTimeout"/>).</summary>
    public long TotalQueueTimeouts { get; init; }

    /// <summary>Refused because the ceiling is 0 (<see cref="RejectionReason.NoCapacity"/>).</summary>
    public long TotalNoCapacity { get; init; }

    /// <summary>Pushed out of the full queue by higher priority (<see cref="RejectionReason.Evicted"/>).</summary>
    public long TotalEvicted { get; init; }

    /// <summary>Requests the caller reported as shed by the server's own deadline
    /// (<see cref="AdmissionController.ReportDeadlineExceeded"/>).</summary>
    public long TotalDeadlineExceeded { get; init; }

    /// <summary>Every <see cref="RejectionReason.Deadline"/> result: the caller's token fired while queued. Not shed
    /// by itself, since the client may simply have gone away.</summary>
    public long TotalCancelledWhileQueued { get; init; }

    /// <summary>Requests shed before routing (<see cref="AdmissionController.CountShedBeforeRouting"/>); already counted in
    /// <see cref="TotalQueueFull"/>, <see cref="TotalNoCapacity"/> or <see cref="TotalCpuOverload"/>, so part of <see cref="TotalShed"/>, not added to it.</summary>
    public long TotalShedBeforeRouting { get; init; }

    /// <summary>Tenants' partitions with a request in flight or queued (<see cref="IAdmissionPartitioner"/>): what the
    /// shares of the limit and of the queue are divided by. 1 or 0 while tenant shares are off.</summary>
    public int ActivePartitions { get; init; }

    /// <summary>Requests refused at a full queue, or evicted from it, because their tenant's partition held more than its
    /// share of the queue; counted in <see cref="TotalQueueFull"/> or <see cref="TotalEvicted"/> too.</summary>
    public long TotalOverShare { get; init; }

    /// <summary>Requests shed before routing because the processors were saturated (<see cref="RejectionReason.CpuOverload"/>);
    /// part of <see cref="TotalShedBeforeRouting"/>.</summary>
    public long TotalCpuOverload { get; init; }

    /// <summary>Requests let through without a slot because they did no database work (<see cref="AdmissionSkipMetadata"/>).</summary>
    public long TotalSkipped { get; init; }

    /// <summary>The smoothed time work waits for a thread-pool thread; null when it is not probed (CPU shedding off).</summary>
    public TimeSpan? CpuLag { get; init; }

    /// <summary>Windows of the limit's law that closed while the processors were saturated, and so left the limit as it was.</summary>
    public long WindowsCpuBound { get; init; }

    /// <summary>Requests shed by admission control: queue full, queue timeout, no capacity, evicted, reported deadlines
    /// and CPU overload. Excludes cancellations the caller did not report as deadlines.</summary>
    public long TotalShed => TotalQueueFull + TotalQueueTimeouts + TotalNoCapacity + TotalEvicted + TotalDeadlineExceeded + TotalCpuOverload;

    /// <summary>Requests of <paramref name="priority"/> waiting.</summary>
    /// <param name="priority">The priority.</param>
    public int GetQueued(RequestPriority priority) => _queuedByPriority[(int)priority];
}
