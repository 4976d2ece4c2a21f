using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability;

/// <summary>Follows the monitoring loop second by second: started before the loop's first evaluation, told each
/// evaluation's snapshot and alert changes, disposed after the loop has stopped. The incident tracker
/// (Widgetify.Incidents) is one; monitoring knows it only by this interface, so it depends on nothing that reads it.</summary>
public interface IMonitoringObserver : IAsyncDisposable
{
    /// <summary>Starts whatever the observer runs beside the loop (the incident tracker's database flush).</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Takes one evaluation. Runs on the monitoring loop: it must not wait for I/O, and must not throw.</summary>
    /// <param name="snapshot">The second just evaluated, already in <paramref name="history"/>.</param>
    /// <param name="transitions">The alerts that changed state in this evaluation.</param>
    /// <param name="history">The recent seconds.</param>
    /// <param name="activeAlerts">The alerts pending or firing after this evaluation.</param>
    void Observe(
        SignalSnapshot snapshot, IReadOnlyList<AlertTransition> transitions, SignalHistory history, IReadOnlyList<AlertSnapshot> activeAlerts);
}
