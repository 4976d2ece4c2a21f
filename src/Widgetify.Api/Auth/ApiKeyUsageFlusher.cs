using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Core.Database;

namespace Widgetify.Api.Auth;

/// <summary>Writes <see cref="ApiKeyUsage"/> every <see cref="ApiOptions.KeyUsageFlushInterval"/> and once more at stop.
/// A failed write keeps the batch for the next one: <c>last_used_at</c> is a hint for operators (which keys are dead), so
/// it may lag by a flush interval, or by an outage.</summary>
internal sealed partial class ApiKeyUsageFlusher(
    ApiKeyUsage usage, TenantStore tenants, TimeProvider timeProvider, IOptions<WidgetifyOptions> options,
    ILogger<ApiKeyUsageFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Api.KeyUsageFlushInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break; // StopAsync makes the last flush
            }

            await FlushAsync(stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    internal async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        var batch = usage.Drain();
        if (batch.Count == 0)
        {
            return 0;
        }

        try
        {
            // One snapshot for both columns: a request that read the dictionary before Drain swapped it may still be adding
            // to it, and two separate snapshots could then pair a time with the wrong key.
            var pairs = batch.ToArray();
            await tenants.RecordKeyUsageAsync([.. pairs.Select(p => p.Key)], [.. pairs.Select(p => p.Value)], cancellationToken);
            return batch.Count;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            usage.Restore(batch);
            LogFlushFailed(logger, batch.Count, DatabaseUnavailable.Is(ex, out var why) ? why : ex.Message);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record when {Keys} API keys were last used, will retry: {Reason}")]
    private static partial void LogFlushFailed(ILogger logger, int keys, string reason);
}
