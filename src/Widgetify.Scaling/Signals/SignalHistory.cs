namespace Widgetify.Scaling.Signals;

/// <summary>The recent seconds of signals the law looks back on, oldest first, one per <see cref="ReadPathSignals.At"/>.
/// Every instance keeps it, leader or not, so an instance that takes the loop over has its windows filled already.</summary>
internal sealed class SignalHistory
{
    private readonly TimeSpan span;
    private readonly List<ReadPathSignals> seconds = [];
    private readonly Lock sync = new();

    /// <summary>Keeps at least <paramref name="span"/> of seconds (the longer of the two windows).</summary>
    public SignalHistory(TimeSpan span) => this.span = span;

    /// <summary>Adds <paramref name="signals"/> unless a record for its second (or a later one) is already held; drops
    /// what has fallen out of the span.</summary>
    /// <returns>True when it was added.</returns>
    public bool Add(ReadPathSignals signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        lock (sync)
        {
            if (seconds.Count > 0 && signals.At <= seconds[^1].At)
            {
                return false; // the source returned the same second again, or a clock went back
            }

            seconds.Add(signals);
            var oldest = signals.At - span;
            var expired = seconds.FindIndex(s => s.At > oldest);
            if (expired > 0)
            {
                seconds.RemoveRange(0, expired);
            }

            return true;
        }
    }

    /// <summary>A copy of the held seconds, oldest first.</summary>
    public IReadOnlyList<ReadPathSignals> Snapshot()
    {
        lock (sync)
        {
            return [.. seconds];
        }
    }

    /// <summary>The newest second held; null when none.</summary>
    public ReadPathSignals? Latest
    {
        get
        {
            lock (sync)
            {
                return seconds.Count > 0 ? seconds[^1] : null;
            }
        }
    }
}
