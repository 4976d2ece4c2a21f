using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Widgetify.Api.Embed;

/// <summary>Buffers embed views in memory. Incrementing a row per view would turn a popular widget into a
/// row-lock hot spot and every read into a write; instead <see cref="ViewCountFlusher"/> adds the buffered
/// counts in one statement per interval.</summary>
internal sealed class ViewCounter(IOptions<WidgetifyOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, long> _pending = new();
    private readonly SemaphoreSlim _earlyFlush = new(0, 1);
    private readonly int _maxBuffered = options.Value.Embed.MaxBufferedWidgets;

    /// <summary>Distinct widgets waiting to be flushed.</summary>
    public int PendingWidgets => _pending.Count;

    public void Add(Guid widgetId, long views = 1)
    {
        _pending.AddOrUpdate(widgetId, views, (_, current) => current + views);
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
    public Dictionary<Guid, long> Drain()
    {
        var drained = new Dictionary<Guid, long>();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var views))
            {
                drained[id] = views;
            }
        }

        return drained;
    }

    /// <summary>Puts back counts that could not be written (database down), so no view is lost.</summary>
    public void Restore(Dictionary<Guid, long> counts)
    {
        foreach (var (id, views) in counts)
        {
            _pending.AddOrUpdate(id, views, (_, current) => current + views);
        }
    }

    public void Dispose() => _earlyFlush.Dispose();
}
