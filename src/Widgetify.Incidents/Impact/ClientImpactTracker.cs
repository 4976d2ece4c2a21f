using System.Collections.Concurrent;

namespace Widgetify.Incidents.Impact;

/// <summary>Which clients were seen and which were hurt: a rolling window of each client's last request and last
/// failed or shed one (so the seconds of impact before detection count), and, while an incident is open, the sets of
/// distinct clients it touched. <see cref="Record"/> is on every request's path: one dictionary lookup, no lock.</summary>
public sealed class ClientImpactTracker
{
    private readonly ConcurrentDictionary<string, ClientActivity> _window = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _windowLength;
    private readonly int _cap;

    // ConcurrentDictionary.Count takes every bucket lock: far too dear per request, so the size is counted here.
    private int _windowCount;
    private volatile ClientCapture? _capture;

    /// <summary>Creates a tracker.</summary>
    /// <param name="options">Reads <see cref="IncidentOptions.ClientWindow"/> and <see cref="IncidentOptions.ClientCap"/>.</param>
    /// <param name="timeProvider">The clock.</param>
    public ClientImpactTracker(IncidentOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _windowLength = options.ClientWindow;
        _cap = options.ClientCap;
    }

    /// <summary>Clients in the rolling window now.</summary>
    public int WindowCount => Volatile.Read(ref _windowCount);

    /// <summary>The incident's client sets while one is open.</summary>
    internal ClientCapture? Capture => _capture;

    /// <summary>Records one completed request.</summary>
    /// <param name="clientKey">Who sent it (an address).</param>
    /// <param name="bad">Whether it failed or was shed (status 5xx).</param>
    public void Record(string clientKey, bool bad)
    {
        ArgumentNullException.ThrowIfNull(clientKey);
        var now = _timeProvider.GetUtcNow().UtcTicks;
        if (!_window.TryGetValue(clientKey, out var activity))
        {
            // Past the cap new clients are not remembered in the window; an open incident still counts them up to its own cap.
            if (Volatile.Read(ref _windowCount) < _cap)
            {
                activity = new ClientActivity();
                if (_window.TryAdd(clientKey, activity))
                {
                    Interlocked.Increment(ref _windowCount);
                }
                else
                {
                    activity = _window.GetValueOrDefault(clientKey);
                }
            }
        }

        activity?.Touch(now, bad);
        _capture?.Add(clientKey, bad);
    }

    /// <summary>Starts counting distinct clients for an incident, seeded with the window's clients seen since
    /// <paramref name="since"/> (the impact start).</summary>
    internal ClientCapture BeginCapture(DateTimeOffset since, int cap)
    {
        var capture = new ClientCapture(cap);
        _capture = capture; // first, so that no request between the seeding and this line is missed
        var sinceTicks = since.UtcTicks;
        foreach (var (key, activity) in _window)
        {
            if (activity.LastSeen >= sinceTicks)
            {
                capture.Add(key, activity.LastBad >= sinceTicks);
            }
        }

        return capture;
    }

    /// <summary>Stops counting for the incident.</summary>
    internal void EndCapture() => _capture = null;

    /// <summary>Forgets clients not seen within the window.</summary>
    /// <returns>Clients forgotten.</returns>
    internal int Prune(DateTimeOffset now)
    {
        var oldest = (now - _windowLength).UtcTicks;
        var removed = 0;
        foreach (var (key, activity) in _window)
        {
            if (activity.LastSeen < oldest && _window.TryRemove(key, out _))
            {
                Interlocked.Decrement(ref _windowCount);
                removed++;
            }
        }

        return removed;
    }

    private sealed class ClientActivity
    {
        private long _lastSeen;
        private long _lastBad = long.MinValue;

        public long LastSeen => Volatile.Read(ref _lastSeen);

        public long LastBad => Volatile.Read(ref _lastBad);

        // Last writer wins: two requests of one client in the same tick differ by nothing the window cares about.
        public void Touch(long now, bool bad)
        {
            Volatile.Write(ref _lastSeen, now);
            if (bad)
            {
                Volatile.Write(ref _lastBad, now);
            }
        }
    }
}
