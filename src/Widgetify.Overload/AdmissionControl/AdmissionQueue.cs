using System.Diagnostics;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>
/// The bounded wait queue: one sub-queue per <see cref="RequestPriority"/>, with CoDel timeouts and adaptive LIFO
/// (Facebook, "Fail at Scale", 2015). Not thread-safe: the controller calls it under its lock.
/// </summary>
/// <remarks>
/// <para><b>Standing queue.</b> The queue remembers the last time it was empty. When it has not been empty for
/// <see cref="AdmissionOptions.QueueInterval"/> (100 ms) it is a standing queue: demand exceeds capacity, and waiting
/// longer only makes every request late. Then a new waiter may wait only <see cref="AdmissionOptions.QueueTargetDelay"/>
/// (5 ms) and each sub-queue is served newest first (LIFO), because the newest request is the one whose client is
/// most likely still there. Otherwise a new waiter may wait <see cref="AdmissionOptions.QueueInterval"/> and service is
/// FIFO, which is fair while the queue keeps draining.</para>
/// <para><b>Capacity.</b> At <see cref="AdmissionOptions.QueueCapacity"/> waiters, a newcomer of higher priority than
/// the lowest-priority waiter evicts the newest of those lowest-priority waiters (it has waited least, so loses
/// least); otherwise the newcomer is refused.</para>
/// </remarks>
internal sealed class AdmissionQueue
{
    private readonly WaiterList[] _lists = [new(), new(), new(), new()]; // indexed by RequestPriority
    private readonly TimeProvider _timeProvider;
    private readonly int _capacity;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _targetDelay;
    private long _lastEmptyTimestamp;

    public AdmissionQueue(int capacity, TimeSpan interval, TimeSpan targetDelay, TimeProvider timeProvider)
    {
        _capacity = capacity;
        _interval = interval;
        _targetDelay = targetDelay;
        _timeProvider = timeProvider;
    }

    /// <summary>Waiters of every priority.</summary>
    public int Count { get; private set; }

    public int CountOf(RequestPriority priority) => _lists[(int)priority].Count;

    /// <summary>True when the queue has held waiters without a break for at least QueueInterval.</summary>
    public bool IsStanding(long timestamp) =>
        Count > 0 && _timeProvider.GetElapsedTime(_lastEmptyTimestamp, timestamp) >= _interval;

    /// <summary>How long a waiter arriving now may wait: QueueTargetDelay in a standing queue, else QueueInterval.</summary>
    public TimeSpan TimeoutFor(long timestamp) => IsStanding(timestamp) ? _targetDelay : _interval;

    /// <summary>True when a waiter of <paramref name="priority"/> or higher is queued, so a newcomer of that priority
    /// must not overtake it.</summary>
    public bool HasWaitersAtOrAbove(RequestPriority priority)
    {
        for (var p = 0; p <= (int)priority; p++)
        {
            if (_lists[p].Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <see cref="TryMakeRoom"/> would refuse a newcomer of <paramref name="priority"/> now: the queue is
    /// full and nobody in it is of lower priority. Changes nothing, for the controller's lock-free refusal snapshot.</summary>
    public bool WouldRefuse(RequestPriority priority) => Count >= _capacity && LowestNonEmptyPriority() <= (int)priority;

    /// <summary>Makes room for a newcomer of <paramref name="priority"/>, evicting a lower-priority waiter when full.
    /// Called before the newcomer's waiter exists, so a refused request (most of them under a storm) allocates none.</summary>
    /// <param name="priority">The newcomer's priority.</param>
    /// <param name="evicted">The waiter pushed out to make room, for the caller to reject; null if none.</param>
    /// <returns>False when full and nobody queued has lower priority: the newcomer is refused.</returns>
    public bool TryMakeRoom(RequestPriority priority, out AdmissionWaiter? evicted)
    {
        evicted = null;
        if (Count < _capacity)
        {
            return true;
        }

        var lowest = LowestNonEmptyPriority();
        if (lowest <= (int)priority)
        {
            return false;
        }

        evicted = _lists[lowest].Last!;
        _lists[lowest].Remove(evicted);
        Count--;
        AssertCounts();
        return true;
    }

    /// <summary>Queues <paramref name="waiter"/>; call <see cref="TryMakeRoom"/> first.</summary>
    public void Enqueue(AdmissionWaiter waiter, long timestamp)
    {
        Debug.Assert(Count < _capacity, "TryMakeRoom made room first.");
        if (Count == 0)
        {
            _lastEmptyTimestamp = timestamp; // it was empty until this instant
        }

        _lists[(int)waiter.Priority].AddLast(waiter);
        Count++;
        AssertCounts();
    }

    /// <summary>Takes the next waiter of <paramref name="priority"/>: the newest in a standing queue, else the oldest.
    /// Expired waiters are returned too; the caller decides them (lazy expiry).</summary>
    public AdmissionWaiter? TryDequeue(RequestPriority priority, long timestamp)
    {
        var list = _lists[(int)priority];
        var waiter = IsStanding(timestamp) ? list.Last : list.First;
        if (waiter is not null)
        {
            Remove(waiter);
        }

        return waiter;
    }

    /// <summary>Removes a waiter whose timer or token fired. The queue's last-empty time needs no update here: it is
    /// read only while waiters are queued, and the next enqueue into an empty queue sets it.</summary>
    /// <returns>False when it already left the queue (granted, evicted or timed out first).</returns>
    public bool Remove(AdmissionWaiter waiter)
    {
        if (waiter.List is not { } list || list != _lists[(int)waiter.Priority])
        {
            return false;
        }

        list.Remove(waiter);
        Count--;
        AssertCounts();
        return true;
    }

    private int LowestNonEmptyPriority()
    {
        for (var p = _lists.Length - 1; p >= 0; p--)
        {
            if (_lists[p].Count > 0)
            {
                return p;
            }
        }

        return -1;
    }

    [Conditional("DEBUG")]
    private void AssertCounts()
    {
        var sum = 0;
        foreach (var list in _lists)
        {
            sum += list.Count;
        }

        Debug.Assert(sum == Count, "Queued equals the sum of the sub-queues.");
    }
}
