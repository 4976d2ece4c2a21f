using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Alerts;

/// <summary>Requests, bad requests and time covered over the last <see cref="Length"/>, kept up to date as snapshots
/// arrive and age out, so the hour-long burn windows cost the same each second as a 10-second one instead of a copy of
/// 21,600 snapshots. Selects the snapshots <see cref="SignalHistory.Window"/> would.</summary>
internal sealed class SlidingSum(TimeSpan length)
{
    private readonly Queue<SignalSnapshot> _snapshots = new();

    public TimeSpan Length => length;

    public long Requests { get; private set; }

    public long BadRequests { get; private set; }

    /// <summary>The time the snapshots in the window cover: less than <see cref="Length"/> while the service is young.</summary>
    public TimeSpan Covered { get; private set; }

    /// <summary>Adds the newest snapshot; snapshots arrive oldest first.</summary>
    public void Add(SignalSnapshot snapshot)
    {
        _snapshots.Enqueue(snapshot);
        Requests += snapshot.Requests;
        BadRequests += snapshot.BadRequests;
        Covered += snapshot.Interval;
    }

    /// <summary>Drops the snapshots whose interval ended at or before <paramref name="now"/> minus the length.</summary>
    public void Expire(DateTimeOffset now)
    {
        var from = now - length;
        while (_snapshots.TryPeek(out var oldest) && oldest.At <= from)
        {
            _snapshots.Dequeue();
            Requests -= oldest.Requests;
            BadRequests -= oldest.BadRequests;
            Covered -= oldest.Interval;
        }
    }

    /// <summary>Bad requests over requests; null without requests.</summary>
    public double? BadRatio => Requests == 0 ? null : (double)BadRequests / Requests;
}
