using Microsoft.Extensions.Options;
using Widgetify.Api.Notifications;
using Widgetify.Api.Stats;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Embed.Caching;

/// <summary>Before the instance reports ready, reads into the rendered-widget cache the widgets visitors viewed most since
/// the start of the previous hour (<see cref="EmbedCacheOptions.WarmUpWidgets"/>). A process that has just started meets
/// its first requests with an empty cache otherwise: each widget's first embed is a database read through admission, and
/// while the balancer ramps the instance up those reads come together with the first runs of its code. A fleet restarted
/// under load shed such requests from the returning instance (docs/benchmarks.md, "A returning instance's cold cache").
/// The warm-up is a help, never a condition: it ends after <see cref="EmbedCacheOptions.WarmUpTimeout"/> at the latest
/// (a database that cannot be reached costs that much: the listener never listens, the share never comes), at once if
/// reading the hot set fails, and the instance is ready without it. A widget whose own read fails is skipped.</summary>
internal sealed partial class EmbedCacheWarmUp(
    EmbedCache cache, WidgetActivityStore activity, NotificationListener listener, PoolGovernor governor, TimeProvider timeProvider,
    IOptions<WidgetifyOptions> options, ILogger<EmbedCacheWarmUp> logger)
    : BackgroundService
{
    private static readonly TimeSpan SharePoll = TimeSpan.FromMilliseconds(100);

    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _wanted = -1;
    private int _loaded;
    private int _failed;

    /// <summary>Completes when the warm-up has ended, however it ended.</summary>
    public Task Finished => _finished.Task;

    /// <summary>How it went, for the readiness check: what it read and, once ended, how it ended.</summary>
    public string Summary { get; private set; } = "Not started.";

    /// <summary>Widgets read so far, and how many the hot set holds (-1 until it has been read).</summary>
    public (int Loaded, int Wanted) Progress => (Volatile.Read(ref _loaded), Volatile.Read(ref _wanted));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Embed.Cache;
        if (!cache.Enabled || settings.WarmUpWidgets == 0)
        {
            Finish(settings.WarmUpWidgets == 0 ? "Off (Widgetify:Embed:Cache:WarmUpWidgets is 0)." : "Off (the embed cache is off).");
            return;
        }

        var started = timeProvider.GetTimestamp();
        using var bound = new CancellationTokenSource(settings.WarmUpTimeout, timeProvider);
        using var token = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, bound.Token);
        try
        {
            // The listener's first LISTEN empties the cache (changes made before it were not heard): entries read before it
            // would be thrown away, so the reads begin once it listens.
            Summary = "Waiting for the connection that hears widget changes (LISTEN) before reading widgets.";
            await listener.FirstListening.WaitAsync(token.Token);
            // A new instance has no connection share until its peers have shrunk to make room (a heartbeat or two): its reads
            // would wait for one in the pool's gate, and the first could time out there.
            Summary = "Waiting for this instance's share of the connection budget before reading widgets.";
            while (governor.Current.Share == 0)
            {
                await Task.Delay(SharePoll, timeProvider, token.Token);
            }

            Summary = "Reading which widgets visitors viewed most in the last hour.";
            var ids = await activity.MostViewedAsync(timeProvider.GetUtcNow() - TimeSpan.FromHours(1), settings.WarmUpWidgets, token.Token);
            Volatile.Write(ref _wanted, ids.Count);
            if (ids.Count == 0)
            {
                Finish("Nothing to warm: no widget was viewed in the last hour (a new deployment, or a quiet one).");
                return;
            }

            Summary = $"Reading the {ids.Count:N0} widgets visitors viewed most in the last hour into the embed cache.";
            // As many reads at once as background refreshes may run: a start beside a busy fleet takes a few connections.
            await Parallel.ForEachAsync(
                ids,
                new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrentRefreshes, CancellationToken = token.Token },
                async (id, ct) =>
                {
                    try
                    {
                        await cache.WarmAsync(id, ct);
                        Interlocked.Increment(ref _loaded);
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        // One widget that cannot be read (a row that does not render, a read that timed out) is read on its
                        // first embed, as without the warm-up; the others still are.
                        if (Interlocked.Increment(ref _failed) == 1)
                        {
                            LogWidgetFailed(logger, id, ex.Message); // the first only: a database lost meanwhile fails them all
                        }
                    }
                });
            var took = timeProvider.GetElapsedTime(started);
            var failed = Volatile.Read(ref _failed);
            LogWarmed(logger, ids.Count - failed, ids.Count, took.TotalSeconds);
            Finish(failed == 0
                ? $"Warmed: the {ids.Count:N0} widgets viewed most in the last hour were read in {took.TotalSeconds:0.0} s."
                : $"Warmed: {ids.Count - failed:N0} of the {ids.Count:N0} widgets viewed most in the last hour were read in {took.TotalSeconds:0.0} s; {failed:N0} could not be (the log says why) and load on their first embed.");
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a read the stop interrupted may end in the driver's own exception rather than a cancellation.
            Finish("Stopped before the warm-up ended.");
        }
        catch (Exception ex)
        {
            // Any failure (its own time bound included): a warm-up that throws would stop the host, and one that is not
            // finished holds readiness back; neither is worth a widget read later on its first embed.
            var why = bound.IsCancellationRequested ? $"it did not end within Widgetify:Embed:Cache:WarmUpTimeout ({settings.WarmUpTimeout.TotalSeconds:0.#} s)" : ex.Message;
            LogGaveUp(logger, Volatile.Read(ref _loaded), Math.Max(0, Volatile.Read(ref _wanted)), why);
            Finish($"Gave up after {Volatile.Read(ref _loaded)} widgets: {(bound.IsCancellationRequested ? why : "a read failed (the log says why)")}. The others load on their first embed.");
        }
    }

    private void Finish(string summary)
    {
        Summary = summary;
        _finished.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embed cache warmed: {Read} of the {Widgets} widgets viewed most in the last hour read in {Seconds:0.0} s before the instance reports ready")]
    private static partial void LogWarmed(ILogger logger, int read, int widgets, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embed cache warm-up could not read widget {WidgetId}, which loads on its first embed (further failures are only counted): {Reason}")]
    private static partial void LogWidgetFailed(ILogger logger, Guid widgetId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embed cache warm-up gave up after {Loaded} of {Wanted} widgets ({Reason}); the others load on their first embed")]
    private static partial void LogGaveUp(ILogger logger, int loaded, int wanted, string reason);
}
