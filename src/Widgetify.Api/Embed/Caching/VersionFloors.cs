namespace Widgetify.Api.Embed.Caching;

/// <summary>What the cache has heard about each widget's changes: the lowest version it may still show (a deleted widget:
/// none) and when it last changed, in a sequence shared by every widget. A read that started before a change was heard
/// (its sequence is lower) is not kept, and a snapshot below the floor (a standby that has not replayed the change yet)
/// is read again from the primary.
/// <para>A version floor cannot tell a standby's pre-change snapshot from the change when the version did not move (a vote
/// batch moves a poll's totals, an edit by SQL may leave the version as it was), and an instance that held no entry
/// does not know the version before the change. So for <see cref="PrimaryWindow"/> after any change heard the widget is
/// read from the primary only (<see cref="PrimaryOnly"/>): the window is longer than the lag at which the router stops
/// reading from a standby.</para>
/// <para>Bounded: a floor is kept for <see cref="Retention"/> (longer than any read runs, and than the lag at which the
/// router stops reading from a standby); past <see cref="Capacity"/> floors the oldest go and <see cref="Pruned"/> tells
/// the cache that reads in flight may no longer be judged, so it keeps none of them.</para></summary>
internal sealed class VersionFloors(TimeProvider timeProvider, TimeSpan retention, TimeSpan primaryWindow)
{
    /// <summary>Floors kept for <paramref name="retention"/>, with no primary-only window (the version floors alone).</summary>
    public VersionFloors(TimeProvider timeProvider, TimeSpan retention)
        : this(timeProvider, retention, TimeSpan.Zero)
    {
    }

    /// <summary>The floor of a deleted widget: no version may be shown.</summary>
    public const int Deleted = int.MaxValue;

    /// <summary>Floors kept at most (about 80 bytes each: some 8 MB).</summary>
    internal const int Capacity = 100_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Floor> _floors = new();
    private readonly Lock _pruning = new();
    private long _sequence;

    /// <summary>How long a floor is kept.</summary>
    public TimeSpan Retention { get; } = retention;

    /// <summary>How long after a change heard the widget is read from the primary only.</summary>
    public TimeSpan PrimaryWindow { get; } = primaryWindow;

    /// <summary>Raised when young floors had to go to respect <see cref="Capacity"/>.</summary>
    public event Action? Pruned;

    /// <summary>The sequence now: a read takes it before it asks the database.</summary>
    public long Sequence => Interlocked.Read(ref _sequence);

    public int Count => _floors.Count;

    /// <summary>A change was heard: <paramref name="version"/> is the lowest version that may be shown from now on (null:
    /// the shown state moved without a new version, votes).</summary>
    public void Raise(Guid id, int? version)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var now = timeProvider.GetTimestamp();
        _floors.AddOrUpdate(
            id,
            (_, arg) => new Floor(arg.Version ?? 0, arg.Sequence, arg.Now),
            (_, old, arg) => new Floor(Math.Max(old.MinVersion, arg.Version ?? 0), arg.Sequence, arg.Now),
            (Version: version, Sequence: sequence, Now: now));
        if (_floors.Count > Capacity)
        {
            Prune();
        }
    }

    /// <summary>True when a snapshot of <paramref name="id"/> at <paramref name="version"/> (null: not found) is not older
    /// than every change heard.</summary>
    public bool Admits(Guid id, int? version)
    {
        if (!_floors.TryGetValue(id, out var floor))
        {
            return true;
        }

        return version is { } v ? v >= floor.MinVersion : floor.MinVersion is 0 or Deleted;
    }

    /// <summary>True while a change of <paramref name="id"/> was heard less than <see cref="PrimaryWindow"/> ago: a standby
    /// may still show the state before it, with a version the floor admits (votes, a same-version edit).</summary>
    public bool PrimaryOnly(Guid id) =>
        _floors.TryGetValue(id, out var floor) && timeProvider.GetElapsedTime(floor.At) < PrimaryWindow;

    /// <summary>True when <paramref name="id"/> changed after <paramref name="sequence"/> was taken.</summary>
    public bool ChangedSince(Guid id, long sequence) => _floors.TryGetValue(id, out var floor) && floor.Sequence > sequence;

    private void Prune()
    {
        lock (_pruning)
        {
            if (_floors.Count <= Capacity)
            {
                return;
            }

            var now = timeProvider.GetTimestamp();
            foreach (var (id, floor) in _floors)
            {
                if (timeProvider.GetElapsedTime(floor.At, now) > Retention)
                {
                    _floors.TryRemove(id, out _);
                }
            }

            if (_floors.Count > Capacity * 3 / 4)
            {
                foreach (var (id, _) in _floors.OrderBy(f => f.Value.At).Take(_floors.Count - (Capacity * 3 / 4)).ToList())
                {
                    _floors.TryRemove(id, out _);
                }

                Pruned?.Invoke();
            }
        }
    }

    private readonly record struct Floor(int MinVersion, long Sequence, long At);
}
