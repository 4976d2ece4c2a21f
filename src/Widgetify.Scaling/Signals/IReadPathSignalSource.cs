namespace Widgetify.Scaling.Signals;

/// <summary>Where the autoscaler reads the read path's signals, about once a second. The service implements it from its
/// own per-second signals (pool, admission, latency) and the router's view of the standbys.</summary>
public interface IReadPathSignalSource
{
    /// <summary>The latest complete seconds, oldest first, a few seconds' worth; empty while none has been measured. The
    /// autoscaler takes in every one it has not seen yet (one per <see cref="ReadPathSignals.At"/>): its loop ticks about
    /// once a second but drifts (each tick also renews the leader lease in the database, slowest when the service is
    /// busiest), and a source that gave only the latest second would lose the seconds that fall between two late ticks,
    /// which the law counts as not saturated.</summary>
    /// <returns>The recent seconds, oldest first.</returns>
    IReadOnlyList<ReadPathSignals> GetRecent();
}
