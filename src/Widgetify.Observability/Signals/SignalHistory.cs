namespace Widgetify.Observability.Signals;

/// <summary>The last <see cref="Capacity"/> snapshots of one instance, oldest first: the windows that alerts, incidents
/// and the dashboard read. Written by the monitoring loop only; readers get copies, so it is safe to read from any thread.</summary>
public sealed class SignalHistory
{
    private readonly SignalSnapshot[] _ring;
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    /// <summary>Creates a history.</summary>
    /// <param name="capacity">Snapshots kept; 6 h of 1 s snapshots covers the slowest burn-rate window.</param>
    public SignalHistory(int capacity = 6 * 3600)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new SignalSnapshot[capacity];
    }

    /// <summary>Snapshots kept at most.</summary>
    public int Capacity => _ring.Length;

    /// <summary>Snapshots kept now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>The newest snapshot; null before the first.</summary>
    public SignalSnapshot? Latest
    {
        get
        {
            lock (_lock)
            {
                return _count == 0 ? null : _ring[(_next - 1 + _ring.Length) % _ring.Length];
            }
        }
    }

    /// <summary>Appends a snapshot, dropping the oldest when full.</summary>
    /// <param name="snapshot">The newest snapshot; its time must not be before the previous one's.</param>
    public void Add(SignalSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_lock)
        {
            _ring[_next] = snapshot;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
        }
    }

    /// <summary>The snapshots whose interval ended after <paramref name="now"/> minus <paramref name="window"/>, oldest first.</summary>
    /// <param name="now">The end of the window.</param>
    /// <param name="window">Its length.</param>
    public IReadOnlyList<SignalSnapshot> Window(DateTimeOffset now, TimeSpan window)
    {
        var from = now - window;
        lock (_lock)
        {
            var result = new List<SignalSnapshot>();
            for (var i = 0; i < _count; i++)
            {
                var s = _ring[(_next - _count + i + _ring.Length) % _ring.Length];
                if (s.At > from && s.At <= now)
                {
                    result.Add(s);
                }
            }

            return result;
        }
    }
}
