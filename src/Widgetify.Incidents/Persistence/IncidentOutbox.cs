using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents.Persistence;

/// <summary>A local incident until the database says which stored incident it is (its own, or one it joined).</summary>
internal sealed class IncidentHandle(Guid id)
{
    private readonly Lock _lock = new();
    private Guid _id = id;

    public Guid Id
    {
        get
        {
            lock (_lock)
            {
                return _id;
            }
        }

        set
        {
            lock (_lock)
            {
                _id = value;
            }
        }
    }

    /// <summary>Whether it joined an incident opened elsewhere (another instance, or before a restart).</summary>
    public bool Joined { get; set; }
}

/// <summary>A write queued by <see cref="Lifecycle.IncidentTracker.Observe"/> for the flush loop.</summary>
internal abstract record OutboxOp(IncidentHandle Handle);

/// <summary>Open an incident, or join the one already open in the database.</summary>
internal sealed record OpenOp(IncidentHandle Handle, Incident Incident, double SloP99Seconds, double SloAvailability) : OutboxOp(Handle);

/// <summary>Add a timeline entry. <paramref name="Opening"/> marks the entries of the opening, which become notes when
/// the incident turns out to have been opened elsewhere.</summary>
internal sealed record EventOp(IncidentHandle Handle, IncidentEvent Event, bool Opening = false) : OutboxOp(Handle);

/// <summary>This instance's view of the incident: status, alerts, its own impact totals.</summary>
internal sealed record StateOp(IncidentHandle Handle, IncidentStatus Status, DateTimeOffset? MitigatedAt, IReadOnlyList<string> Alerts, IncidentImpact Impact) : OutboxOp(Handle);

/// <summary>This instance recovered: resolve the incident unless other live instances are still in it.</summary>
internal sealed record ResolveOp(IncidentHandle Handle, StateOp Final, DateTimeOffset ResolvedAt, IncidentEvent Event) : OutboxOp(Handle);

/// <summary>This instance stopped while the incident was open: it no longer keeps it open (its final totals go
/// with it), so the instances that remain, or the next one to start, can resolve it.</summary>
internal sealed record LeaveOp(IncidentHandle Handle, StateOp Final, DateTimeOffset LeftAt, IncidentEvent Event) : OutboxOp(Handle);

/// <summary>Record where the postmortem draft was written.</summary>
internal sealed record PostmortemOp(IncidentHandle Handle, string Path, IncidentEvent Event) : OutboxOp(Handle);

/// <summary>One second of samples.</summary>
internal sealed record SampleOp(IncidentHandle Handle, IncidentSample Sample) : OutboxOp(Handle);

/// <summary>What a flush took from the outbox.</summary>
internal sealed record OutboxBatch(IReadOnlyList<OutboxOp> Ops, IReadOnlyList<StateOp> States, IReadOnlyList<SampleOp> Samples)
{
    public bool IsEmpty => Ops.Count == 0 && States.Count == 0 && Samples.Count == 0;
}

/// <summary>Writes waiting for the database. Ordered operations (open, events, resolve) are never dropped; only the
/// latest state per incident is kept; samples are bounded and the oldest go first when the database stays away.</summary>
internal sealed class IncidentOutbox(int sampleLimit)
{
    private readonly Lock _lock = new();
    private readonly List<OutboxOp> _ops = [];
    private readonly Dictionary<IncidentHandle, StateOp> _states = [];
    private readonly Queue<SampleOp> _samples = new();

    /// <summary>Samples dropped since the last call to <see cref="TakeDroppedSamples"/>.</summary>
    private long _dropped;

    public int PendingOps
    {
        get
        {
            lock (_lock)
            {
                return _ops.Count;
            }
        }
    }

    public int PendingSamples
    {
        get
        {
            lock (_lock)
            {
                return _samples.Count;
            }
        }
    }

    public void Add(OutboxOp op)
    {
        lock (_lock)
        {
            switch (op)
            {
                case StateOp state:
                    _states[state.Handle] = state;
                    break;
                case SampleOp sample:
                    _samples.Enqueue(sample);
                    while (_samples.Count > sampleLimit)
                    {
                        _samples.Dequeue();
                        _dropped++;
                    }

                    break;
                case ResolveOp or LeaveOp:
                    // The final state travels with the resolution or departure; a later plain state must not undo it.
                    _states.Remove(op.Handle);
                    _ops.Add(op);
                    break;
                default:
                    _ops.Add(op);
                    break;
            }
        }
    }

    /// <summary>A copy of everything pending, left in place: what the spool keeps while the database is away.</summary>
    public OutboxBatch Snapshot()
    {
        lock (_lock)
        {
            return new OutboxBatch([.. _ops], [.. _states.Values], [.. _samples]);
        }
    }

    /// <summary>Takes everything pending; <see cref="Return"/> puts it back in front when the flush fails.</summary>
    public OutboxBatch Take()
    {
        lock (_lock)
        {
            var batch = new OutboxBatch([.. _ops], [.. _states.Values], [.. _samples]);
            _ops.Clear();
            _states.Clear();
            _samples.Clear();
            return batch;
        }
    }

    /// <summary>Puts a failed batch back ahead of what was queued since, keeping order and the sample bound.</summary>
    public void Return(OutboxBatch batch)
    {
        lock (_lock)
        {
            _ops.InsertRange(0, batch.Ops);
            var resolved = _ops.OfType<ResolveOp>().Select(r => r.Handle).ToHashSet();
            foreach (var state in batch.States)
            {
                if (!resolved.Contains(state.Handle))
                {
                    _states.TryAdd(state.Handle, state); // a newer state queued meanwhile wins
                }
            }

            var newer = _samples.ToArray();
            _samples.Clear();
            foreach (var sample in batch.Samples.Concat(newer))
            {
                _samples.Enqueue(sample);
            }

            while (_samples.Count > sampleLimit)
            {
                _samples.Dequeue();
                _dropped++;
            }
        }
    }

    public long TakeDroppedSamples()
    {
        lock (_lock)
        {
            var dropped = _dropped;
            _dropped = 0;
            return dropped;
        }
    }
}
