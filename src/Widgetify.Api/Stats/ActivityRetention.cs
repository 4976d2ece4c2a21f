using Microsoft.Extensions.Options;

namespace Widgetify.Api.Stats;

/// <summary>Deletes hourly activity rows older than <see cref="StatsOptions.RetentionDays"/>, every
/// <see cref="StatsOptions.RetentionInterval"/>, in batches of <see cref="StatsOptions.RetentionBatchSize"/> rows. Every
/// instance runs it; the deletes are idempotent, so two instances at once only share the work.</summary>
internal sealed partial class ActivityRetention(
    WidgetActivityStore store, TimeProvider timeProvider, IOptions<WidgetifyOptions> options, ILogger<ActivityRetention> logger)
    : BackgroundService
{
    /// <summary>The first hour still kept at <paramref name="now"/>: everything before it is deleted (or about to be).</summary>
    public static DateTimeOffset RetainedFrom(DateTimeOffset now, StatsOptions options) =>
        StatsInterval.Hour.Floor(now) - TimeSpan.FromDays(options.RetentionDays);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Stats.RetentionInterval, timeProvider);
        do
        {
            try
            {
                await DeleteExpiredAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LogFailed(logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Deletes every expired hour, one bounded batch at a time.</summary>
    /// <returns>The number of rows deleted.</returns>
    internal async Task<long> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var stats = options.Value.Stats;
        var cutoff = RetainedFrom(timeProvider.GetUtcNow(), stats);
        long total = 0;
        int deleted;
        do
        {
            deleted = await store.DeleteHoursBeforeAsync(cutoff, stats.RetentionBatchSize, cancellationToken);
            total += deleted;
        }
        while (deleted == stats.RetentionBatchSize);

        if (total > 0)
        {
            LogDeleted(logger, total, cutoff);
        }

        return total;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Rows} hourly activity rows before {Cutoff:O} (Widgetify:Stats:RetentionDays)")]
    private static partial void LogDeleted(ILogger logger, long rows, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete expired hourly activity rows, will retry at the next interval: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
