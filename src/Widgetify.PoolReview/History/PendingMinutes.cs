namespace Widgetify.PoolReview.History;

/// <summary>Completed minutes waiting to be written, oldest first, at most <see cref="Capacity"/>: while the database is
/// away the oldest are dropped (and counted) rather than memory growing without bound. The monitoring loop adds, the
/// flush loop takes; both only hold the lock to move references.</summary>
internal sealed class PendingMinutes(int capacity)
{
    /// <summary>About a week of minutes of one server, a day of seven: a few megabytes.</summary>
    public const int DefaultCapacity = 10_000;

    private readonly Lock sync = new();
    private Queue<PoolMinute> queue = new();
    private long dropped;

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "At least one minute.");

    public int Count
    {
        get
        {
            lock (sync)
            {
                return queue.Count;
            }
        }
    }

    public void Add(PoolMinute minute)
    {
        lock (sync)
        {
            queue.Enqueue(minute);
            DropBeyondCapacity();
        }
    }

    /// <summary>Everything waiting, oldest first; the queue is left empty.</summary>
    public IReadOnlyList<PoolMinute> Take()
    {
        lock (sync)
        {
            var all = queue.ToArray();
            queue.Clear();
            return all;
        }
    }

    /// <summary>Puts back a batch that could not be written, ahead of what was added meanwhile, so the order stays oldest
    /// first and the oldest are the ones dropped when the two do not fit.</summary>
    public void Return(IReadOnlyList<PoolMinute> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        lock (sync)
        {
            queue = new Queue<PoolMinute>(batch.Concat(queue));
            DropBeyondCapacity();
        }
    }

    /// <summary>Minutes dropped since the last call.</summary>
    public long TakeDropped()
    {
        lock (sync)
        {
            var count = dropped;
            dropped = 0;
            return count;
        }
    }

    private void DropBeyondCapacity()
    {
        while (queue.Count > Capacity)
        {
            queue.Dequeue();
            dropped++;
        }
    }
}
