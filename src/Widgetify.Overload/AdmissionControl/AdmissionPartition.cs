using System.Diagnostics;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>One tenant's part of the admission controller's state: its leases in flight and its waiters, one list per
/// priority. It exists only while the tenant is active (something in flight or queued), so an idle tenant costs nothing
/// and the count of partitions is the count of active tenants that the shares divide by. Not thread-safe: the
/// controller's lock guards it.</summary>
internal sealed class AdmissionPartition
{
    private readonly WaiterList[] _lists = [new(), new(), new(), new()]; // indexed by RequestPriority

    // Ring links, one ring per priority: the partitions with waiters of that priority, served round-robin.
    private readonly AdmissionPartition?[] _next = new AdmissionPartition?[4];
    private readonly AdmissionPartition?[] _previous = new AdmissionPartition?[4];

    public AdmissionPartition(string key) => Key = key;

    /// <summary>The tenant's partition key (<see cref="IAdmissionPartitioner"/>); reassigned when a pooled partition is reused.</summary>
    public string Key { get; private set; }

    /// <summary>Leases of this partition not yet released.</summary>
    public int InFlight { get; set; }

    /// <summary>Waiters of this partition, every priority.</summary>
    public int Queued { get; private set; }

    /// <summary>When this partition's own queue last went from empty to non-empty: CoDel's state is kept per partition
    /// (as fq_codel keeps it per flow), so a flood's standing queue does not cut a quiet tenant's wait to the target delay.</summary>
    public long LastEmptyTimestamp { get; set; }

    /// <summary>Neither in flight nor queued: the controller forgets it.</summary>
    public bool IsIdle => InFlight == 0 && Queued == 0;

    public WaiterList ListOf(RequestPriority priority) => _lists[(int)priority];

    public int CountOf(RequestPriority priority) => _lists[(int)priority].Count;

    public void Add(AdmissionWaiter waiter)
    {
        _lists[(int)waiter.Priority].AddLast(waiter);
        Queued++;
    }

    public void Remove(AdmissionWaiter waiter)
    {
        Debug.Assert(waiter.List == _lists[(int)waiter.Priority], "Only a waiter of this partition can be removed.");
        waiter.List!.Remove(waiter);
        Queued--;
    }

    internal AdmissionPartition? NextIn(RequestPriority priority) => _next[(int)priority];

    internal AdmissionPartition? PreviousIn(RequestPriority priority) => _previous[(int)priority];

    internal void SetNext(RequestPriority priority, AdmissionPartition? next) => _next[(int)priority] = next;

    internal void SetPrevious(RequestPriority priority, AdmissionPartition? previous) => _previous[(int)priority] = previous;

    /// <summary>Readies a pooled partition for another tenant.</summary>
    public void Reuse(string key)
    {
        Debug.Assert(IsIdle, "Only an idle partition is pooled.");
        Key = key;
    }
}
