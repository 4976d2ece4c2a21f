namespace Widgetify.Overload.AdmissionControl;

/// <summary>A request waiting in the <see cref="AdmissionQueue"/>. It is its own list node (no node allocation per
/// waiter, O(1) removal when its timer or token fires) and carries its result from the moment the controller decides
/// it under the lock to the moment the task is completed outside it.</summary>
internal sealed class AdmissionWaiter
{
    private readonly TaskCompletionSource<AdmissionResult> _completion =
        new(TaskCreationOptions.RunContinuationsAsynchronously); // never run the caller's continuation under our lock

    public AdmissionWaiter(RequestPriority priority, long enqueuedTimestamp, TimeSpan timeout, AdmissionPartition partition)
    {
        Priority = priority;
        Partition = partition;
        EnqueuedTimestamp = enqueuedTimestamp;
        Timeout = timeout;
    }

    public RequestPriority Priority { get; }

    public long EnqueuedTimestamp { get; }

    /// <summary>The tenant it waits for; granted, it holds a slot of this partition.</summary>
    public AdmissionPartition Partition { get; }

    /// <summary>How long it may wait, fixed on arrival by the CoDel rule.</summary>
    public TimeSpan Timeout { get; }

    public Task<AdmissionResult> Task => _completion.Task;

    /// <summary>The controller whose timer and token callbacks decide this waiter (null in queue-only tests).</summary>
    public AdmissionController? Owner { get; init; }

    public ITimer? Timer { get; set; }

    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>Decided under the controller's lock; delivered by <see cref="Complete"/>.</summary>
    public AdmissionResult Result { get; set; }

    /// <summary>True when it was evicted because its partition held more than its share of the full queue.</summary>
    public bool OverShare { get; set; }

    /// <summary>Time spent queued, fixed when the result was decided.</summary>
    public TimeSpan QueueDuration { get; set; }

    // Intrusive links, owned by WaiterList while queued and by WaiterBatch afterwards.
    internal AdmissionWaiter? Previous { get; set; }

    internal AdmissionWaiter? Next { get; set; }

    internal WaiterList? List { get; set; }

    public bool IsExpired(TimeProvider timeProvider, long timestamp) =>
        timeProvider.GetElapsedTime(EnqueuedTimestamp, timestamp) >= Timeout;

    /// <summary>Stops the timer and the token callback, then hands <see cref="Result"/> to the awaiting request.</summary>
    public void Complete()
    {
        Timer?.Dispose();

        // Unregister, not Dispose: Dispose waits for a running callback, and this may run inside that very callback.
        Registration.Unregister();
        _completion.TrySetResult(Result);
    }
}
