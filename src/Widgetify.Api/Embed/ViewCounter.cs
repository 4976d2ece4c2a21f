using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Widgetify.Api.Embed;

/// <summary>Buffers embed views in memory. Incrementing a row per view would turn a popular widget into a
/// row-lock hot spot and every read into a write; instead <see cref="ViewCountFlusher"/> adds the buffered
/// counts in one statement per interval. Views are kept per widget and per UTC hour they were counted in, so the
/// hourly statistics put them in the right hour even when a flush runs after the hour has turned.</summary>
internal sealed class ViewCounter(IOptions<WidgetifyOptions> options, TimeProvider timeProvider) : IDisposable
{
    private readonly ConcurrentDictionary<HourlyViews, long> _pending = new();
    private readonly SemaphoreSlim _earlyFlush = new(0, 1);
    private readonly int _maxBuffered = options.Value.Embed.MaxBufferedWidgets;

    /// <summary>Distinct widget-hours waiting to be flushed (one per widget, unless an hour turned since the last flush).</summary>
    public int PendingWidgets => _pending.Count;

    public void Add(Guid widgetId, long views = 1)
    {
        var key = new HourlyViews(widgetId, HourlyViews.HourOf(timeProvider.GetUtcNow()));
        _pending.AddOrUpdate(key, views, (_, current) => current + views);
        if (_pending.Count >= _maxBuffered && _earlyFlush.CurrentCount == 0)
        {
            try
            {
                _earlyFlush.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another request asked for the early flush first.
            }
        }
    }

    /// <summary>Completes when the buffer has filled up and should be flushed before the interval ends.</summary>
    public Task WaitForEarlyFlushAsync(CancellationToken cancellationToken) => _earlyFlush.WaitAsync(cancellationToken);

    /// <summary>Takes everything buffered so far. Each entry is removed atomically: a view counted while
    /// draining either makes it into this batch or starts a new entry for the next one, never neither.</summary>
    public Dictionary<HourlyViews, long> Drain()
    {
        var drained = new Dictionary<HourlyViews, long>();
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var views))
            {
                drained[key] = views;
            }
        }

        return drained;
    }

    /// <summary>Puts back counts that could not be written (database down), so no view is lost; they keep their hour.</summary>
    public void Restore(Dictionary<HourlyViews, long> counts)
    {
        foreach (var (key, views) in counts)
        {
            _pending.AddOrUpdate(key, views, (_, current) => current + views);
        }
    }

    public void Dispose() => _earlyFlush.Dispose();
}

/// <summary>A widget and the UTC hour its buffered views were counted in (the row of <c>widget_activity_hourly</c> they go to).</summary>
internal readonly record struct HourlyViews(Guid WidgetId, DateTimeOffset Hour)
{
    /// <summary>The start of the UTC hour that holds <paramref name="instant"/>.</summary>
    public static DateTimeOffset HourOf(DateTimeOffset instant) => Stats.StatsInterval.Hour.Floor(instant);
}
