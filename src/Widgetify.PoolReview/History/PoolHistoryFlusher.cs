using Microsoft.Extensions.Logging;
using Widgetify.Core.Database;

namespace Widgetify.PoolReview.History;

/// <summary>The loop that writes the completed minutes every <see cref="FlushInterval"/>, all in one statement, and deletes
/// the expired ones at most every <see cref="TrimInterval"/>. A failed write keeps its minutes queued for the next tick:
/// the write is idempotent, so one retried after a lost commit records nothing twice.</summary>
internal sealed class PoolHistoryFlusher : IAsyncDisposable
{
    /// <summary>Minutes complete once a minute; a few seconds' delay in writing them costs nothing.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(10);

    /// <summary>Trimming removes an hour of rows a time, a short statement on the shared control connection.</summary>
    public static readonly TimeSpan TrimInterval = TimeSpan.FromHours(1);

    private readonly PoolMinuteWriter writer;
    private readonly PendingMinutes pending;
    private readonly TimeSpan retention;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;

    // One flush at a time: the loop's and the last one on disposal would otherwise write the same batch twice.
    private readonly SemaphoreSlim flushGate = new(1, 1);
    private readonly CancellationTokenSource stopping = new();
    private Task? loop;
    private DateTimeOffset? trimmedAt;
    private bool failing;
    private string? lastFailure;
    private long droppedWhileFailing;

    public PoolHistoryFlusher(PoolMinuteWriter writer, PendingMinutes pending, TimeSpan retention, TimeProvider timeProvider, ILogger logger)
    {
        this.writer = writer;
        this.pending = pending;
        this.retention = retention;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    public void Start() => loop ??= Task.Run(() => RunAsync(stopping.Token), CancellationToken.None);

    /// <summary>Stops the loop and waits for its flush in progress; <see cref="DisposeAsync"/> makes the last one.</summary>
    public async Task StopAsync()
    {
        await stopping.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }
    }

    /// <summary>One last flush (at most 5 s), then releases the loop's resources. Call after <see cref="StopAsync"/>.
    /// What it cannot write is lost with the process, as a crash would lose it, and the log says how many minutes.</summary>
    public async ValueTask DisposeAsync()
    {
        string? reason = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            // No trim: a service stopping (or one whose monitoring never ran) has no business deleting history.
            if (!await FlushAsync(trim: false, atStop: true, timeout.Token))
            {
                reason = lastFailure;
            }
        }
        catch (OperationCanceledException)
        {
            reason = "the database did not answer within 5 s";
        }

        if (reason is not null && pending.Count > 0)
        {
            PoolHistoryLog.LostAtStop(logger, pending.Count, reason);
        }

        stopping.Dispose();
        flushGate.Dispose();
    }

    /// <summary>Writes every waiting minute in one statement, then trims when an hour has passed since the last trim.</summary>
    /// <returns>True when the database took everything.</returns>
    public Task<bool> FlushAsync(CancellationToken cancellationToken) => FlushAsync(trim: true, atStop: false, cancellationToken);

    private async Task<bool> FlushAsync(bool trim, bool atStop, CancellationToken cancellationToken)
    {
        await flushGate.WaitAsync(cancellationToken);
        var unwritten = pending.Take();
        try
        {
            if (unwritten.Count > 0)
            {
                await writer.InsertAsync(unwritten, cancellationToken);
            }

            unwritten = [];
            if (trim)
            {
                await TrimIfDueAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            pending.Return(unwritten);
            unwritten = [];
            if (atStop)
            {
                // No next flush to promise: DisposeAsync says what is lost.
                lastFailure = DatabaseUnavailable.Is(ex, out var unavailable) ? $"the database is unavailable ({unavailable})" : ex.Message;
                if (unavailable is null)
                {
                    PoolHistoryLog.WriteFailedAtStop(logger, ex);
                }
            }
            else
            {
                Failed(ex);
            }

            return false;
        }
        finally
        {
            pending.Return(unwritten); // cancelled mid-write: kept for the last flush
            flushGate.Release();
        }

        Succeeded();
        return true;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task TrimIfDueAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (trimmedAt is { } last && now - last < TrimInterval)
        {
            return;
        }

        var cutoff = now - retention;
        var deleted = await writer.TrimAsync(cutoff, cancellationToken);
        trimmedAt = now;
        if (deleted > 0)
        {
            PoolHistoryLog.Trimmed(logger, deleted, cutoff, retention);
        }
    }

    private void Failed(Exception exception)
    {
        if (!failing)
        {
            failing = true;
            if (DatabaseUnavailable.Is(exception, out var reason))
            {
                PoolHistoryLog.WriteFailedDatabaseAway(logger, reason, pending.Count, pending.Capacity);
            }
            else
            {
                PoolHistoryLog.WriteFailed(logger, exception, pending.Count, pending.Capacity);
            }
        }

        // Logged once per outage, when the first minute goes: the count is in the recovery's line.
        var dropped = pending.TakeDropped();
        if (dropped > 0 && droppedWhileFailing == 0)
        {
            PoolHistoryLog.MinutesDropped(logger, pending.Capacity);
        }

        droppedWhileFailing += dropped;
    }

    private void Succeeded()
    {
        var dropped = droppedWhileFailing + pending.TakeDropped();
        droppedWhileFailing = 0;
        if (failing)
        {
            failing = false;
            PoolHistoryLog.WriteRecovered(logger, dropped);
        }
        else if (dropped > 0)
        {
            PoolHistoryLog.MinutesDropped(logger, pending.Capacity);
        }
    }
}
