namespace Widgetify.Scaling.Signals;

/// <summary>Where the autoscaler reads the read path's signals, once a second. The service implements it from its own
/// per-second signals (pool, admission, latency) and the router's view of the standbys.</summary>
public interface IReadPathSignalSource
{
    /// <summary>The signals of the latest complete second; null while none has been measured yet. The same record may
    /// be returned twice: the autoscaler keeps one per <see cref="ReadPathSignals.At"/>.</summary>
    /// <returns>The latest second, or null.</returns>
    ReadPathSignals? GetLatest();

    /// <summary>The latest complete seconds, oldest first, a few seconds' worth. The autoscaler takes in every one it has
    /// not seen yet: its loop ticks about once a second but drifts (each tick also renews the leader lease in the database,
    /// slowest when the service is busiest), and a source that only gave the latest second would lose the seconds that
    /// fall between two late ticks, which the law counts as not saturated. The default gives the latest second alone.</summary>
    /// <returns>The recent seconds, oldest first; empty while none has been measured.</returns>
    IReadOnlyList<ReadPathSignals> GetRecent() => GetLatest() is { } latest ? [latest] : [];
}
