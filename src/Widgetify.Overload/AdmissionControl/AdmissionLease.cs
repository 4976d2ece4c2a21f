namespace Widgetify.Overload.AdmissionControl;

/// <summary>A slot of the concurrency limit, held while the request does its database work. Release it exactly once:
/// <see cref="Complete"/> with the outcome, or <see cref="Dispose"/> (outcome <see cref="AdmissionOutcome.Ignored"/>).
/// Later calls do nothing, so a <c>using</c> around a <c>Complete</c> is safe.</summary>
public sealed class AdmissionLease : IDisposable
{
    private readonly AdmissionController _owner;
    private int _released;

    internal AdmissionLease(AdmissionController owner, RequestPriority priority, AdmissionPartition partition, long grantedTimestamp)
    {
        _owner = owner;
        Partition = partition;
        Priority = priority;
        GrantedTimestamp = grantedTimestamp;
    }

    /// <summary>The priority the request was admitted with.</summary>
    public RequestPriority Priority { get; }

    /// <summary>The tenant's partition whose slot this is.</summary>
    internal AdmissionPartition Partition { get; }

    /// <summary>When the slot was granted (<see cref="TimeProvider.GetTimestamp"/>): time queued is not latency.</summary>
    internal long GrantedTimestamp { get; }

    /// <summary>Records the outcome (for <see cref="AdmissionOutcome.Succeeded"/>, the time from grant to now is a
    /// latency sample) and releases the slot. Only the first call of <see cref="Complete"/> or
    /// <see cref="Dispose"/> counts.</summary>
    /// <param name="outcome">How the work ended.</param>
    public void Complete(AdmissionOutcome outcome)
    {
        if (outcome is not (AdmissionOutcome.Succeeded or AdmissionOutcome.TimedOut or AdmissionOutcome.Ignored))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Use Succeeded, TimedOut or Ignored.");
        }

        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _owner.Release(this, outcome);
        }
    }

    /// <summary>Releases the slot without a latency signal, unless <see cref="Complete"/> already released it.</summary>
    public void Dispose() => Complete(AdmissionOutcome.Ignored);
}
