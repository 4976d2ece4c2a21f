namespace Widgetify.Scaling.Signals;

/// <summary>Where the autoscaler reads the read path's signals, once a second. The service implements it from its own
/// per-second signals (pool, admission, latency) and the router's view of the standbys.</summary>
public interface IReadPathSignalSource
{
    /// <summary>The signals of the latest complete second; null while none has been measured yet. The same record may
    /// be returned twice: the autoscaler keeps one per <see cref="ReadPathSignals.At"/>.</summary>
    ReadPathSignals? GetLatest();
}
