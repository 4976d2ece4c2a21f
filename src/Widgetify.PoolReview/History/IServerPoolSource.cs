namespace Widgetify.PoolReview.History;

/// <summary>The pools this instance holds on database servers other than the primary (the standbys its reads go to),
/// as they are now. The service implements it from its read router; the primary's pool is read from the monitoring
/// loop's <see cref="Observability.Signals.SignalSnapshot"/>.</summary>
public interface IServerPoolSource
{
    /// <summary>Each server's pool now. Called once a second on the monitoring loop: quick, no I/O, never throws.</summary>
    /// <returns>One gauge per server, the primary left out.</returns>
    IReadOnlyList<ServerPoolGauge> GetServers();
}
