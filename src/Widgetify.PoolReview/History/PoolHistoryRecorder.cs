using Microsoft.Extensions.Logging;
using Widgetify.Observability;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.PoolReview.History;

/// <summary>Follows the monitoring loop and sums its seconds into minutes, one per server: the primary's from the
/// <see cref="SignalSnapshot"/>, each standby's from the <see cref="IServerPoolSource"/>. A minute is complete when the
/// first second of a later one arrives (or the recorder stops, measured in part); it then waits in memory for the
/// <see cref="PoolHistoryFlusher"/>, so the loop never waits for the database.</summary>
internal sealed class PoolHistoryRecorder : IMonitoringObserver
{
    private readonly string instance;
    private readonly IServerPoolSource? servers;
    private readonly PendingMinutes pending;
    private readonly PoolHistoryFlusher flusher;
    private readonly ILogger logger;

    // Observe runs on the monitoring loop; the lock only matters against the last minute completed on disposal.
    private readonly Lock sync = new();
    private readonly Dictionary<string, MinuteAccumulator> current = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> served = new(StringComparer.Ordinal);
    private DateTimeOffset currentMinute;
    private int disposed;

    /// <summary>Creates a recorder.</summary>
    /// <param name="instance">This instance's name in the history.</param>
    /// <param name="servers">The pools on servers other than the primary; null when there are none.</param>
    /// <param name="pending">Where completed minutes wait for <paramref name="flusher"/>.</param>
    /// <param name="flusher">Writes them.</param>
    /// <param name="logger">The log.</param>
    public PoolHistoryRecorder(string instance, IServerPoolSource? servers, PendingMinutes pending, PoolHistoryFlusher flusher, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instance);
        this.instance = instance;
        this.servers = servers;
        this.pending = pending;
        this.flusher = flusher;
        this.logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        flusher.Start();
        return Task.CompletedTask;
    }

    /// <summary>Adds one second. Quick, no I/O, never throws.</summary>
    public void Observe(
        SignalSnapshot snapshot, IReadOnlyList<AlertTransition> transitions, SignalHistory history, IReadOnlyList<AlertSnapshot> activeAlerts)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(snapshot);
            var standbys = servers?.GetServers() ?? [];
            lock (sync)
            {
                var minute = MinuteAccumulator.MinuteOf(snapshot.At);
                if (minute != currentMinute)
                {
                    CompleteLocked();
                    currentMinute = minute;
                }

                Accumulator(PoolHistory.PrimaryServer).Add(PoolSecond.Primary(snapshot));
                foreach (var standby in standbys)
                {
                    Accumulator(standby.Name).Add(PoolSecond.Standby(standby, ServedSince(standby), snapshot.Interval));
                }
            }
        }
        catch (Exception ex)
        {
            // The monitoring loop must keep running whatever a second looks like.
            PoolHistoryLog.ObserveFailed(logger, ex, snapshot?.At);
        }
    }

    /// <summary>Stops the flush loop, completes the minute in progress (measured in part) and writes what waits.</summary>
    public async ValueTask DisposeAsync()
    {
        // The host stops it (a last write while the database still runs), then the container disposes it again.
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await flusher.StopAsync();
        lock (sync)
        {
            CompleteLocked();
        }

        await flusher.DisposeAsync();
    }

    private MinuteAccumulator Accumulator(string server)
    {
        if (!current.TryGetValue(server, out var accumulator))
        {
            accumulator = new MinuteAccumulator(server, currentMinute);
            current.Add(server, accumulator);
        }

        return accumulator;
    }

    private void CompleteLocked()
    {
        foreach (var accumulator in current.Values)
        {
            pending.Add(accumulator.Complete(instance));
        }

        current.Clear();
    }

    /// <summary>The reads completed on <paramref name="standby"/> since the previous second. The first second it is seen
    /// counts none (the counter ran before); a counter that went down (the server re-added) counts from zero.</summary>
    private long ServedSince(ServerPoolGauge standby)
    {
        var previous = served.TryGetValue(standby.Name, out var before) ? before : standby.Served;
        served[standby.Name] = standby.Served;
        return standby.Served >= previous ? standby.Served - previous : standby.Served;
    }
}
