using System.Collections.Concurrent;

namespace Widgetify.Api.Auth;

/// <summary>A bounded map from a key fingerprint to a value that expires. Unlike <c>IMemoryCache</c> it runs on the injected
/// <see cref="TimeProvider"/>, can drop every entry matching a predicate (a key id named by a notification), and refuses a
/// new entry when full instead of evicting: a flood of new keys can then cost lookups, never memory.</summary>
internal sealed class ExpiringCache<TValue>(int capacity, TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<UInt128, Entry> _entries = new();
    private long _nextSweepTicks;

    public int Count => _entries.Count;

    public bool TryGet(UInt128 key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (timeProvider.GetUtcNow().UtcTicks < entry.UntilTicks)
            {
                value = entry.Value;
                return true;
            }

            _entries.TryRemove(KeyValuePair.Create(key, entry)); // only this entry: a fresher one set meanwhile stays
        }

        value = default!;
        return false;
    }

    /// <summary>Remembers <paramref name="value"/> for <paramref name="lifetime"/>.</summary>
    /// <returns>False when the lifetime is not positive or the cache is full of live entries.</returns>
    public bool Set(UInt128 key, TValue value, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero || capacity <= 0)
        {
            return false;
        }

        var now = timeProvider.GetUtcNow().UtcTicks;
        if (_entries.Count >= capacity && !_entries.ContainsKey(key))
        {
            SweepExpired(now);
            if (_entries.Count >= capacity)
            {
                return false;
            }
        }

        _entries[key] = new Entry(value, now + lifetime.Ticks);
        return true;
    }

    public void RemoveWhere(Func<TValue, bool> predicate)
    {
        foreach (var (key, entry) in _entries)
        {
            if (predicate(entry.Value))
            {
                _entries.TryRemove(KeyValuePair.Create(key, entry));
            }
        }
    }

    public void Clear() => _entries.Clear();

    public void Remove(UInt128 key) => _entries.TryRemove(key, out _);

    // A full cache under a flood of new keys would otherwise scan every entry on every request: at most once a second.
    private void SweepExpired(long now)
    {
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now < next || Interlocked.CompareExchange(ref _nextSweepTicks, now + TimeSpan.TicksPerSecond, next) != next)
        {
            return;
        }

        foreach (var (key, entry) in _entries)
        {
            if (entry.UntilTicks <= now)
            {
                _entries.TryRemove(KeyValuePair.Create(key, entry));
            }
        }
    }

    private sealed record Entry(TValue Value, long UntilTicks);
}
