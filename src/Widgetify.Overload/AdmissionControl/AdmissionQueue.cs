using System.Diagnostics;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>
/// The bounded wait queue: per <see cref="RequestPriority"/>, a ring of tenants' partitions (<see cref="AdmissionPartition"/>)
/// served round-robin, each with its own waiters; CoDel timeouts and adaptive LIFO on top (Facebook, "Fail at Scale",
/// 2015). Not thread-safe: the controller calls it under its lock.
/// </summary>
/// <remarks>
/// <para><b>Standing queue.</b> Each partition remembers the last time its own queue was empty (one partition: the
/// whole queue; with tenants, CoDel per tenant as fq_codel runs it per flow). When it has not been empty for
/// <see cref="AdmissionOptions.QueueInterval"/> (100 ms) it is a standing queue: demand exceeds capacity, and waiting
/// longer only makes every request late. Then a new waiter may wait only <see cref="AdmissionOptions.QueueTargetDelay"/>
/// (5 ms) and each partition is served newest first (LIFO), because the newest request is the one whose client is
/// most likely still there. Otherwise a new waiter may wait <see cref="AdmissionOptions.QueueInterval"/> and service is
/// FIFO, which is fair while the queue keeps draining. When more than <see cref="CrowdedPartitions"/> partitions hold
/// waiters and the whole queue is standing, the whole queue's rule applies to every partition
/// (<see cref="IsCrowdedAndStanding"/>): a storm spread thinly over many tenants leaves no partition standing on its own.</para>
/// <para><b>Tenants.</b> Within a priority, partitions take turns (round-robin: one waiter each, then the next), so a
/// tenant with a thousand waiters and one with a single waiter are each served once per round. A partition that holds
/// its in-flight share already is passed over while another one waiting holds less (<see cref="TryDequeue"/>). With
/// one partition (tenant shares off) this is exactly the single queue it replaces.</para>
/// <para><b>Capacity.</b> At <see cref="AdmissionOptions.QueueCapacity"/> waiters, a newcomer of higher priority than
/// the lowest-priority waiter evicts the newest waiter of that priority from the partition that queues most of them
/// (it has waited least, so loses least). A newcomer of the same priority evicts only from a partition over its queue
/// share that queues more than the newcomer's own; a newcomer whose partition is over its share is refused.</para>
/// </remarks>
internal sealed class AdmissionQueue
{
    /// <summary>How many partitions one decision looks at: bounds the work of a shed or a grant when thousands of
    /// tenants are queued at once (a storm at random widgets), at the price of a choice that is fair among those.</summary>
    internal const int MaxScan = 64;

    /// <summary>Above this many partitions with waiters, a standing queue as a whole imposes its rule on every partition
    /// (<see cref="IsCrowdedAndStanding"/>): per-partition CoDel cannot see a storm spread thinly over many tenants.</summary>
    internal const int CrowdedPartitions = 8;

    private readonly AdmissionPartition?[] _cursors = new AdmissionPartition?[4]; // per priority: who is served next
    private readonly int[] _counts = new int[4];
    private readonly TimeProvider _timeProvider;
    private readonly int _capacity;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _targetDelay;
    private long _lastEmptyTimestamp;
    private int _queuedPartitions; // partitions with at least one waiter, of any priority

    public AdmissionQueue(int capacity, TimeSpan interval, TimeSpan targetDelay, TimeProvider timeProvider)
    {
        _capacity = capacity;
        _interval = interval;
        _targetDelay = targetDelay;
        _timeProvider = timeProvider;
    }

    /// <summary>Waiters of every priority.</summary>
    public int Count { get; private set; }

    public int CountOf(RequestPriority priority) => _counts[(int)priority];

    /// <summary>True when the queue has held waiters without a break for at least QueueInterval.</summary>
    public bool IsStanding(long timestamp) =>
        Count > 0 && _timeProvider.GetElapsedTime(_lastEmptyTimestamp, timestamp) >= _interval;

    /// <summary>How long a waiter arriving now may wait: QueueTargetDelay in a standing queue, else QueueInterval.</summary>
    public TimeSpan TimeoutFor(long timestamp) => IsStanding(timestamp) ? _targetDelay : _interval;

    /// <summary>True when <paramref name="partition"/>'s own waiters have been queued without a break for at least
    /// QueueInterval. With one partition this is <see cref="IsStanding(long)"/>.</summary>
    public bool IsStanding(AdmissionPartition partition, long timestamp) =>
        partition.Queued > 0 && _timeProvider.GetElapsedTime(partition.LastEmptyTimestamp, timestamp) >= _interval;

    /// <summary>True when the whole queue is standing and more than <see cref="CrowdedPartitions"/> partitions hold
    /// waiters. Per-partition CoDel tells a flood from a quiet tenant only while the flood's waiters pile up in its own
    /// partition; when a storm is spread over many partitions holding a waiter or two each, none of them is ever standing
    /// (each empties at every grant) although the queue as a whole is, and without this rule every newcomer would get the
    /// burst allowance, FIFO, until the queue fills. Then the whole queue's rule applies to every partition.</summary>
    public bool IsCrowdedAndStanding(long timestamp) => _queuedPartitions > CrowdedPartitions && IsStanding(timestamp);

    /// <summary>How long a waiter of <paramref name="partition"/> (null: one with nothing queued) arriving now may wait:
    /// QueueTargetDelay if that partition's queue is standing (or the whole queue is, crowded with partitions:
    /// <see cref="IsCrowdedAndStanding"/>), else QueueInterval. Per partition, as fq_codel runs CoDel per flow: the
    /// flood's standing queue is the flood's, and a tenant whose requests arrive one at a time still gets the burst
    /// allowance while few tenants are queued.</summary>
    public TimeSpan TimeoutFor(AdmissionPartition? partition, long timestamp) =>
        (partition is not null && IsStanding(partition, timestamp)) || IsCrowdedAndStanding(timestamp) ? _targetDelay : _interval;

    /// <summary>True when a waiter of <paramref name="priority"/> or higher is queued, so a newcomer of that priority
    /// must not overtake it.</summary>
    public bool HasWaitersAtOrAbove(RequestPriority priority)
    {
        for (var p = 0; p <= (int)priority; p++)
        {
            if (_counts[p] > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <see cref="TryMakeRoom(RequestPriority, AdmissionPartition?, int, out AdmissionWaiter?, out bool)"/>
    /// would refuse every newcomer of <paramref name="priority"/> now, whatever its tenant: the queue is full, nobody in it
    /// is of lower priority, and (tenant shares) no partition holds enough waiters over the share of a newcomer with
    /// nothing queued for it to evict one. Such a newcomer is the one most likely to be let in, so when it is refused every
    /// other is too. Changes nothing, for the controller's lock-free refusal snapshot.</summary>
    /// <param name="priority">The newcomer's priority.</param>
    /// <param name="newcomerQueueShare">The queue share of a partition new to the controller; int.MaxValue for none.</param>
    public bool WouldRefuse(RequestPriority priority, int newcomerQueueShare)
    {
        if (Count < _capacity)
        {
            return false;
        }

        var lowest = LowestNonEmptyPriority();
        if (lowest != (int)priority)
        {
            return lowest < (int)priority;
        }

        var victim = HeaviestIn(priority);
        return newcomerQueueShare <= 0 || victim.Queued <= newcomerQueueShare || victim.CountOf(priority) <= 1;
    }

    /// <summary>Makes room for a newcomer with no share rule (one tenant): a lower-priority waiter is evicted when full.</summary>
    public bool TryMakeRoom(RequestPriority priority, out AdmissionWaiter? evicted) =>
        TryMakeRoom(priority, null, int.MaxValue, out evicted, out _);

    /// <summary>Makes room for a newcomer of <paramref name="priority"/> when the queue is full, evicting a waiter of
    /// lower priority, or of the same priority from a partition over its share. Called before the newcomer's waiter
    /// exists, so a refused request (most of them under a storm) allocates none.</summary>
    /// <param name="priority">The newcomer's priority.</param>
    /// <param name="newcomer">The newcomer's partition, null when it has none yet (nothing in flight or queued).</param>
    /// <param name="queueShare">Waiters a partition may hold while others compete for the queue; int.MaxValue for none.</param>
    /// <param name="evicted">The waiter pushed out to make room, for the caller to reject; null if none.</param>
    /// <param name="overShare">True when the share rule decided: the newcomer refused because its partition is at its
    /// queue share, or a waiter of the same priority evicted from a partition over its share. Never for a refusal or
    /// an eviction by priority.</param>
    /// <returns>False when the newcomer is refused.</returns>
    public bool TryMakeRoom(RequestPriority priority, AdmissionPartition? newcomer, int queueShare, out AdmissionWaiter? evicted, out bool overShare)
    {
        evicted = null;
        overShare = false;
        if (Count < _capacity)
        {
            return true;
        }

        var lowest = LowestNonEmptyPriority();
        var own = newcomer?.Queued ?? 0;
        if (lowest < (int)priority)
        {
            return false; // refused by priority (-1, capacity 0, lands here too), not by the share rule
        }

        var victimPriority = (RequestPriority)lowest;
        var victim = HeaviestIn(victimPriority);
        if (lowest == (int)priority)
        {
            // Same priority: only the share rule may displace a waiter, and never for a newcomer over its own share.
            if (own >= queueShare)
            {
                overShare = true;
                return false;
            }

            if (victim == newcomer || victim.Queued <= queueShare
                || victim.CountOf(victimPriority) <= (newcomer?.CountOf(victimPriority) ?? 0) + 1)
            {
                return false;
            }

            overShare = true; // evicted by the share rule: the victim queues more than its share
        }

        // A lower-priority victim is evicted by priority, whatever its partition queues: not an over-share shed.
        evicted = victim.ListOf(victimPriority).Last!;
        Remove(evicted);
        return true;
    }

    /// <summary>Queues <paramref name="waiter"/> in its partition; call <see cref="TryMakeRoom(RequestPriority, AdmissionPartition?, int, out AdmissionWaiter?, out bool)"/>
    /// first. A partition new to this priority joins the end of the round.</summary>
    public void Enqueue(AdmissionWaiter waiter, long timestamp)
    {
        Debug.Assert(Count < _capacity, "TryMakeRoom made room first.");
        if (Count == 0)
        {
            _lastEmptyTimestamp = timestamp; // it was empty until this instant
        }

        var priority = waiter.Priority;
        var partition = waiter.Partition;
        if (partition.Queued == 0)
        {
            partition.LastEmptyTimestamp = timestamp;
            _queuedPartitions++;
        }

        if (partition.CountOf(priority) == 0)
        {
            Link(partition, priority);
        }

        partition.Add(waiter);
        _counts[(int)priority]++;
        Count++;
        AssertCounts();
    }

    /// <summary>Takes the next waiter of <paramref name="priority"/>: from the partition whose turn it is, skipping
    /// partitions that hold <paramref name="inFlightShare"/> slots or more while one that holds fewer waits (if every
    /// partition is at its share the turn's partition is served anyway: work-conserving); within the partition the newest
    /// in a standing queue, else the oldest. Expired waiters are returned too; the caller decides them (lazy expiry).</summary>
    public AdmissionWaiter? TryDequeue(RequestPriority priority, long timestamp, int inFlightShare = int.MaxValue)
    {
        var turn = _cursors[(int)priority];
        if (turn is null)
        {
            return null;
        }

        var chosen = turn;
        var candidate = turn;
        for (var scanned = 0; scanned < MaxScan; scanned++)
        {
            if (candidate.InFlight < inFlightShare)
            {
                chosen = candidate;
                break;
            }

            candidate = candidate.NextIn(priority)!;
            if (candidate == turn)
            {
                break;
            }
        }

        var list = chosen.ListOf(priority);
        var waiter = IsStanding(chosen, timestamp) || IsCrowdedAndStanding(timestamp) ? list.Last! : list.First!;
        _cursors[(int)priority] = chosen.NextIn(priority); // round-robin: the next partition has the next turn
        Remove(waiter);
        return waiter;
    }

    /// <summary>Removes a waiter whose timer or token fired. The queue's last-empty time needs no update here: it is
    /// read only while waiters are queued, and the next enqueue into an empty queue sets it.</summary>
    /// <returns>False when it already left the queue (granted, evicted or timed out first).</returns>
    public bool Remove(AdmissionWaiter waiter)
    {
        if (waiter.List is null)
        {
            return false;
        }

        var priority = waiter.Priority;
        var partition = waiter.Partition;
        partition.Remove(waiter);
        _counts[(int)priority]--;
        Count--;
        if (partition.Queued == 0)
        {
            _queuedPartitions--;
        }
        if (partition.CountOf(priority) == 0)
        {
            Unlink(partition, priority);
        }

        AssertCounts();
        return true;
    }

    /// <summary>The partition that queues most waiters of <paramref name="priority"/>, among the first
    /// <see cref="MaxScan"/> of the round; the one whose turn is nearest on a tie.</summary>
    private AdmissionPartition HeaviestIn(RequestPriority priority)
    {
        var turn = _cursors[(int)priority]!;
        var heaviest = turn;
        var candidate = turn.NextIn(priority)!;
        for (var scanned = 1; scanned < MaxScan && candidate != turn; scanned++)
        {
            if (candidate.CountOf(priority) > heaviest.CountOf(priority))
            {
                heaviest = candidate;
            }

            candidate = candidate.NextIn(priority)!;
        }

        return heaviest;
    }

    /// <summary>Adds <paramref name="partition"/> to the ring of <paramref name="priority"/>, just before the one whose
    /// turn it is: the last of the current round.</summary>
    private void Link(AdmissionPartition partition, RequestPriority priority)
    {
        var turn = _cursors[(int)priority];
        if (turn is null)
        {
            partition.SetNext(priority, partition);
            partition.SetPrevious(priority, partition);
            _cursors[(int)priority] = partition;
            return;
        }

        var last = turn.PreviousIn(priority)!;
        partition.SetPrevious(priority, last);
        partition.SetNext(priority, turn);
        last.SetNext(priority, partition);
        turn.SetPrevious(priority, partition);
    }

    private void Unlink(AdmissionPartition partition, RequestPriority priority)
    {
        var next = partition.NextIn(priority)!;
        var previous = partition.PreviousIn(priority)!;
        if (next == partition)
        {
            _cursors[(int)priority] = null;
        }
        else
        {
            previous.SetNext(priority, next);
            next.SetPrevious(priority, previous);
            if (_cursors[(int)priority] == partition)
            {
                _cursors[(int)priority] = next;
            }
        }

        partition.SetNext(priority, null);
        partition.SetPrevious(priority, null);
    }

    private int LowestNonEmptyPriority()
    {
        for (var p = _counts.Length - 1; p >= 0; p--)
        {
            if (_counts[p] > 0)
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
        foreach (var count in _counts)
        {
            sum += count;
        }

        Debug.Assert(sum == Count, "Queued equals the sum of the priorities.");
    }
}
