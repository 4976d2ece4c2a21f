using Microsoft.Extensions.Options;

namespace Widgetify.Api.Data;

/// <summary>Forgets idempotency keys past their lifetime, hourly, so the table stays small.</summary>
internal sealed partial class IdempotencyKeyCleaner(
    WidgetStore store, TimeProvider timeProvider, IOptions<WidgetifyOptions> options, ILogger<IdempotencyKeyCleaner> logger)
    : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var deleted = await store.DeleteExpiredIdempotencyKeysAsync(options.Value.Api.IdempotencyKeyLifetime, stoppingToken);
                LogCleaned(logger, deleted);
            }
            catch (Npgsql.NpgsqlException ex)
            {
                LogFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deleted {Count} expired idempotency keys")]
    private static partial void LogCleaned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete expired idempotency keys, will retry in an hour: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
