using System.Collections;
using System.Diagnostics;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Alerts;

/// <summary>The snapshots one evaluation reads, oldest first, up to its time: copied out of the history once, so the
/// rules' windows are suffixes of one list instead of a copy each.</summary>
internal sealed class SignalSpan
{
    private readonly IReadOnlyList<SignalSnapshot> _snapshots;

    public SignalSpan(IReadOnlyList<SignalSnapshot> snapshots, DateTimeOffset now)
    {
        Debug.Assert(snapshots.Zip(snapshots.Skip(1)).All(p => p.First.At <= p.Second.At), "Snapshots are oldest first.");
        _snapshots = snapshots;
        Now = now;
    }

    /// <summary>The evaluation's time: the end of every window.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>The snapshots whose interval ended within the last <paramref name="length"/>, as
    /// <see cref="SignalHistory.Window"/> selects them.</summary>
    public IReadOnlyList<SignalSnapshot> Last(TimeSpan length)
    {
        var from = Now - length;

        // Binary search for the first snapshot after 'from': the list is sorted by time.
        int low = 0, high = _snapshots.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_snapshots[mid].At > from)
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return low == 0 ? _snapshots : new Suffix(_snapshots, low);
    }

    /// <summary>Whether the snapshots of <paramref name="window"/> cover <paramref name="length"/> without gaps: an
    /// "every second of the last 5 s" condition needs all five seconds, not the two the history happens to hold.</summary>
    public static bool Covers(IReadOnlyList<SignalSnapshot> window, TimeSpan length) =>
        window.Sum(s => s.Interval.Ticks) >= length.Ticks;

    /// <summary>How much time <paramref name="window"/> covers, at most <paramref name="length"/>: a service up for
    /// 2 minutes computes its "1 h" window over those 2 minutes.</summary>
    public static TimeSpan Covered(IReadOnlyList<SignalSnapshot> window, TimeSpan length) =>
        TimeSpan.FromTicks(Math.Min(window.Sum(s => s.Interval.Ticks), length.Ticks));

    private sealed class Suffix(IReadOnlyList<SignalSnapshot> list, int start) : IReadOnlyList<SignalSnapshot>
    {
        public int Count => list.Count - start;

        public SignalSnapshot this[int index] => list[start + index];

        public IEnumerator<SignalSnapshot> GetEnumerator()
        {
            for (var i = start; i < list.Count; i++)
            {
                yield return list[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
