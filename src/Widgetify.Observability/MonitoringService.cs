using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Database;
using Widgetify.Observability.Metrics;
using Widgetify.Observability.Notifications;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability;

/// <summary>The monitoring loop: every <see cref="MonitoringOptions.EvaluationInterval"/> it collects the instruments,
/// turns them into one <see cref="SignalSnapshot"/>, evaluates the alerts, hands their changes to the notifiers and the
/// observers (the incident tracker). The database is sampled by a loop of its own, so a server that does not answer delays neither the
/// alerts nor the incident timeline (its silence is what the DatabaseDown alert reads).</summary>
internal sealed partial class MonitoringService(
    MonitoringOptions options,
    MetricsCollector collector,
    SignalSampler sampler,
    SignalHistory history,
    DatabaseSampler database,
    AlertEvaluator evaluator,
    AlertNotifier notifier,
    IEnumerable<IMonitoringObserver> observers,
    TimeProvider timeProvider,
    ILogger<MonitoringService> logger) : BackgroundService
{
    private readonly IMonitoringObserver[] _observers = [.. observers];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        foreach (var observer in _observers)
        {
            await observer.StartAsync(cancellationToken);
        }

        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        await base.StopAsync(cancellationToken);
        foreach (var observer in _observers)
        {
            await observer.DisposeAsync();
        }

        await notifier.DisposeAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sampling = SampleDatabaseAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.EvaluationInterval, timeProvider);
        try
        {
            // The first collection only sets the counters' starting points.
            sampler.Sample(collector.Collect(), database.Current, timeProvider.GetUtcNow());
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Tick();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await sampling;
    }

    /// <summary>One evaluation. Never throws: a bug in one evaluation must not end monitoring for the process's life.</summary>
    internal void Tick()
    {
        try
        {
            var now = timeProvider.GetUtcNow();
            var snapshot = sampler.Sample(collector.Collect(), database.Current, now);
            history.Add(snapshot);
            var transitions = evaluator.Evaluate(history, now);
            if (transitions.Count > 0)
            {
                notifier.Publish(transitions);
            }

            foreach (var observer in _observers)
            {
                observer.Observe(snapshot, transitions, history, evaluator.Active);
            }
        }
        catch (Exception ex)
        {
            LogTickFailed(logger, ex);
        }
    }

    private async Task SampleDatabaseAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.DatabaseSampleInterval, timeProvider);
        try
        {
            do
            {
                try
                {
                    await database.SampleAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Whatever went wrong, the next second samples again: a dead loop would report the server down
                    // (or worse, up) for the rest of the process's life.
                    LogSampleFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "A monitoring evaluation failed; the next one runs as scheduled")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "A database sample failed unexpectedly; the next one runs as scheduled")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
