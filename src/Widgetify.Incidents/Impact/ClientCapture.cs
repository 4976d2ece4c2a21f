using System.Collections.Concurrent;

namespace Widgetify.Incidents.Impact;

/// <summary>The distinct clients one incident touched on this instance, each set capped (then counts are lower bounds).</summary>
/// <remarks>Counts from before a restart are added by the incident (<see cref="Lifecycle.OpenIncident.Impact"/>), not here.</remarks>
internal sealed class ClientCapture(int cap)
{
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _affected = new(StringComparer.Ordinal);
    private int _seenCount;
    private int _affectedCount;
    private volatile bool _capped;

    /// <summary>Distinct clients.</summary>
    public long Clients => Volatile.Read(ref _seenCount);

    /// <summary>Distinct clients that got a failed or shed response.</summary>
    public long Affected => Volatile.Read(ref _affectedCount);

    /// <summary>Whether a set reached the cap.</summary>
    public bool Capped => _capped;

    public void Add(string key, bool bad)
    {
        Add(_seen, ref _seenCount, key);
        if (bad)
        {
            Add(_affected, ref _affectedCount, key);
        }
    }

    private void Add(ConcurrentDictionary<string, byte> set, ref int count, string key)
    {
        if (set.ContainsKey(key))
        {
            return;
        }

        // Reserve a slot first so that concurrent adds never overshoot the cap.
        if (Interlocked.Increment(ref count) > cap)
        {
            Interlocked.Decrement(ref count);
            _capped = true;
            return;
        }

        if (!set.TryAdd(key, 0))
        {
            Interlocked.Decrement(ref count);
        }
    }
}
