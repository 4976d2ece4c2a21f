using Microsoft.Extensions.Options;
using Widgetify.Api.Data;
using Widgetify.Core.Database;
using Widgetify.Observability.Database;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Embed;

/// <summary>Writes buffered view counts every <see cref="EmbedOptions.ViewFlushInterval"/>, and a last time on
/// shutdown after the server has stopped taking requests. Under overload the periodic flush is the first work shed
/// (<see cref="RequestPriority.Background"/>): the counts stay buffered and are written once the load passes.</summary>
internal sealed partial class ViewCountFlusher(
    ViewCounter counter, WidgetStore store, AdmissionController admission, DatabaseWriteFailures writeFailures, TimeProvider timeProvider,
    IOptions<WidgetifyOptions> options, ILogger<ViewCountFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Embed.ViewFlushInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                try
                {
                    await Task.WhenAny(Task.Delay(interval, timeProvider, wait.Token), counter.WaitForEarlyFlushAsync(wait.Token));
                }
                finally
                {
                    await wait.CancelAsync();
                }
            }

            if (stoppingToken.IsCancellationRequested)
            {
                break; // StopAsync makes the last flush, once requests have drained
            }

            await FlushAdmittedAsync(stoppingToken);
        }
    }

    private async Task FlushAdmittedAsync(CancellationToken stoppingToken)
    {
        // The controller exists in every admission mode; outside Adaptive mode no request takes its slots, so the flush
        // is admitted at once unless the connection share is 0, when it could not get a connection anyway.
        var admitted = await admission.AcquireAsync(RequestPriority.Background, stoppingToken);
        if (admitted.Lease is not { } granted)
        {
            LogFlushDeferred(logger, admitted.Reason);
            return;
        }

        using (granted)
        {
            var written = await FlushAsync(stoppingToken);
            granted.Complete(written > 0 ? AdmissionOutcome.Succeeded : AdmissionOutcome.Ignored);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Kestrel has drained in-flight requests by now (the server stops before hosted services): flush what they counted.
        await FlushAsync(cancellationToken, atStop: true);
    }

    /// <summary>Writes what is buffered, to each widget's total and to the hours the views were counted in, in one
    /// transaction; on failure puts it back for the next attempt (at stop there is none: the log
    /// says how many widgets' counts are lost).</summary>
    /// <returns>The number of distinct widgets written.</returns>
    internal async Task<int> FlushAsync(CancellationToken cancellationToken, bool atStop = false)
    {
        var batch = counter.Drain();
        if (batch.Count == 0)
        {
            return 0;
        }

        var widgets = batch.Keys.Select(k => k.WidgetId).Distinct().Count();
        try
        {
            await store.AddViewsAsync([.. batch.Keys.Select(k => k.WidgetId)], [.. batch.Keys.Select(k => k.Hour)], [.. batch.Values], cancellationToken);
            return widgets;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            counter.Restore(batch);
            writeFailures.Record(ex); // a full disk refuses the view counts too: counted with the API's writes
            var unavailable = DatabaseUnavailable.Is(ex, out var why);
            if (atStop)
            {
                LogLostAtStop(logger, widgets, batch.Values.Sum(), unavailable ? $"the database is unavailable ({why})" : ex.Message);
            }
            else
            {
                LogFlushFailed(logger, widgets, why ?? ex.Message);
            }

            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "View counts stay buffered for now: the flush was shed ({Reason})")]
    private static partial void LogFlushDeferred(ILogger logger, RejectionReason reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write view counts of {Widgets} widgets, will retry: {Reason}")]
    private static partial void LogFlushFailed(ILogger logger, int widgets, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping without writing the view counts of {Widgets} widgets ({Views} views), {Reason}: they are lost")]
    private static partial void LogLostAtStop(ILogger logger, int widgets, long views, string reason);
}
