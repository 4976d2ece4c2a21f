using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Widgetify.Api.Polls;
using Widgetify.Api.TenantShares;
using Widgetify.Core.Deadlines;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Embed.Caching;

/// <summary>The embeds of this instance's widgets, in memory, so that a hot widget's embed almost never reaches the
/// database (issue 15). Keyed by widget id; each entry is a snapshot of the row (version, view count, a poll's totals)
/// and its rendered bytes (<see cref="CachedWidget"/>).
/// <list type="bullet">
/// <item>Single-flight: however many requests miss one widget at once, one query runs (one task per id), outside any
/// request, and they all wait for it.</item>
/// <item>Changes: every write to <c>widgets</c>, by any writer, NOTIFYs every instance (migration 0006,
/// <see cref="WidgetChangeSubscriber"/>), which drops the entry and raises the widget's version floor
/// (<see cref="VersionFloors"/>): a snapshot older than a change heard, as a lagging standby may return, is read again
/// from the primary, and a read that was in flight when the change was heard is not kept.</item>
/// <item>Staleness: an entry older than <see cref="EmbedCacheOptions.ViewCountRefresh"/> is served while one background
/// read refreshes it (view counts and poll totals move without notifications); one older than
/// <see cref="EmbedCacheOptions.MaxStaleness"/> is never served. At most <see cref="EmbedCacheOptions.MaxConcurrentRefreshes"/>
/// background reads run at once: when none is free the aged entry is served without one (MaxStaleness still bounds its
/// age), so thousands of widgets each aging once per interval cannot put thousands of reads a second outside admission.</item>
/// <item>Primary only after a change: for a while after any change heard (<see cref="VersionFloors.PrimaryOnly"/>) the
/// widget is read from the primary, since a standby's snapshot of the same version (votes, a same-version edit) may
/// predate the change; a visitor who just voted then sees totals with their vote.</item>
/// <item>Consistency tokens: a request whose token is newer than the entry's WAL position reads past the cache, where the
/// router honours the token, and leaves its fresher snapshot behind.</item>
/// <item>Memory: <see cref="MemoryCache"/> with a size limit in bytes (<see cref="EmbedCacheOptions.SizeLimitBytes"/>),
/// entries sized by their bytes; over the limit it evicts the least recently used.</item>
/// </list></summary>
internal sealed class EmbedCache : IWidgetTenantLookup, IDisposable
{
    private readonly MemoryCache _entries;
    private readonly ConcurrentDictionary<Guid, Task<CachedWidget?>> _inflight = new();
    private readonly VersionFloors _floors;
    private readonly WidgetSnapshotReader _reader;
    private readonly EmbedCacheMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _refreshAfter;
    private readonly TimeSpan _maxStaleness;
    private readonly TimeSpan _loadTimeout;
    private readonly SemaphoreSlim _refreshSlots;
    private long _refreshesSkipped;
    private long _primaryLoads;
    private long _misses;
    private long _epoch;
    private long _loads;

    public EmbedCache(WidgetSnapshotReader reader, EmbedCacheMetrics metrics, TimeProvider timeProvider, IOptions<WidgetifyOptions> options)
    {
        var settings = options.Value.Embed.Cache;
        var database = options.Value.Database;
        Enabled = settings.Enabled;
        _refreshAfter = settings.ViewCountRefresh;
        _maxStaleness = settings.MaxStaleness;
        // A shared read runs outside every request: its own bound is what a request's connection wait and command get.
        _loadTimeout = TimeSpan.FromSeconds(database.ConnectTimeoutSeconds + database.CommandTimeoutSeconds);
        _reader = reader;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _entries = new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = settings.SizeLimitBytes,
            TrackStatistics = true,
            CompactionPercentage = 0.10,
        });
        // Longer than any read runs (so one in flight is judged against every change heard meanwhile), and than the lag at
        // which the router stops reading from a standby.
        // The primary-only window after a change: longer than the lag at which the router stops reading from a standby, and
        // than an entry may be served (so a refresh in that time cannot bring a standby's pre-change snapshot back).
        var primaryWindow = TimeSpan.FromTicks(Math.Max(_maxStaleness.Ticks, database.Replicas.MaxLag.Ticks));
        _floors = new VersionFloors(
            timeProvider, TimeSpan.FromTicks(Math.Max(primaryWindow.Ticks, TimeSpan.FromMinutes(2).Ticks)), primaryWindow);
        _refreshSlots = new SemaphoreSlim(settings.MaxConcurrentRefreshes, settings.MaxConcurrentRefreshes);
        _floors.Pruned += () => Interlocked.Increment(ref _epoch);
        metrics.Observe(() => _entries.GetCurrentStatistics() is { } s ? (s.CurrentEntryCount, s.CurrentEstimatedSize ?? 0) : (0, 0));
    }

    /// <summary>Whether entries are kept (<see cref="EmbedCacheOptions.Enabled"/>); off, every lookup reads the database.</summary>
    public bool Enabled { get; }

    /// <summary>Database reads this cache has made (the single-flight tests' view).</summary>
    internal long Loads => Interlocked.Read(ref _loads);

    /// <summary>Of <see cref="Loads"/>, those that went straight to, or back to, the primary.</summary>
    internal long PrimaryLoads => Interlocked.Read(ref _primaryLoads);

    /// <summary>Background refreshes not started because every slot was busy.</summary>
    internal long RefreshesSkipped => Interlocked.Read(ref _refreshesSkipped);

    /// <summary>Lookups that found nothing usable and joined (or started) the shared read: the single-flight tests' view of
    /// how many requests are waiting on it.</summary>
    internal long Misses => Interlocked.Read(ref _misses);

    /// <summary>Whether a change of <paramref name="id"/> has been heard (the tests' way to know a notification arrived).</summary>
    internal bool HasHeardOf(Guid id) => _floors.ChangedSince(id, 0);

    /// <summary>Widgets held now.</summary>
    internal long Count => _entries.Count;

    /// <summary>Estimated bytes held now.</summary>
    internal long Bytes => _entries.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <summary>The tenant of <paramref name="id"/> if this instance holds the widget, without a database read (for
    /// per-tenant admission before the widget is read).</summary>
    public bool TryGetTenant(Guid id, out Guid tenantId)
    {
        if (_entries.TryGetValue(id, out CachedWidget? entry) && entry is not null)
        {
            tenantId = entry.Widget.TenantId;
            return true;
        }

        tenantId = default;
        return false;
    }

    /// <summary>Whether a request for the embed (<c>GET</c> or <c>HEAD /w/{id}</c>, before or after routing) will be
    /// answered from memory, with no database read, so admission need not give it a slot
    /// (<see cref="Widgetify.Overload.AdmissionControl.AdmissionSkipMetadata"/>): this instance holds the widget within
    /// its staleness bound, the request names no consistency token (it may need a newer read), and it is not a poll's
    /// returning visitor (whose own vote is read) or a poll without cached totals. Cheap: a path parse and one lookup.</summary>
    public bool ServesFromMemory(HttpContext context)
    {
        var request = context.Request;
        if (!Enabled || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            || !TryParseEmbedPath(request.Path, out var id) || request.Headers.ContainsKey(ConsistencyToken.HeaderName)
            || !_entries.TryGetValue(id, out CachedWidget? entry) || entry is null
            || _timeProvider.GetElapsedTime(entry.FilledAt) >= _maxStaleness)
        {
            return false;
        }

        return entry.Widget.Kind != PollConfig.Kind || (entry.Tally is not null && VisitorToken.FromCookie(request) is null);
    }

    /// <summary>The id of <c>/w/{id}</c> (one trailing slash allowed, as routing allows it); false for any other path.</summary>
    internal static bool TryParseEmbedPath(PathString path, out Guid id)
    {
        var value = path.Value.AsSpan();
        if (value.Length > 1 && value[^1] == '/')
        {
            value = value[..^1];
        }

        id = default;
        return value.StartsWith("/w/", StringComparison.OrdinalIgnoreCase) && Guid.TryParseExact(value[3..], "D", out id);
    }

    /// <summary>The widget as the embed serves it; null when it does not exist.</summary>
    /// <param name="id">The widget.</param>
    /// <param name="token">The request's consistency token: the answer then reflects at least that write.</param>
    /// <param name="deadline">The request's deadline, which bounds a wait for a shared read.</param>
    /// <param name="cancellationToken">The request's.</param>
    public async ValueTask<CachedWidget?> GetAsync(Guid id, ConsistencyToken? token, RequestDeadline? deadline, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            _metrics.Lookup("bypass");
            Interlocked.Increment(ref _loads);
            return CachedWidget.From(await _reader.ReadRoutedAsync(id, cancellationToken), _timeProvider.GetTimestamp(), _timeProvider.GetUtcNow());
        }

        if (_entries.TryGetValue(id, out CachedWidget? entry) && entry is not null)
        {
            var age = _timeProvider.GetElapsedTime(entry.FilledAt);
            if (age < _maxStaleness && Covers(entry, token))
            {
                if (age >= _refreshAfter)
                {
                    _metrics.Lookup("stale");
                    Refresh(id);
                }
                else
                {
                    _metrics.Lookup("hit");
                }

                return entry;
            }
        }

        if (entry is not null && !Covers(entry, token))
        {
            return await BypassAsync(id, cancellationToken);
        }

        _metrics.Lookup("miss");
        var shared = Load(id);
        Interlocked.Increment(ref _misses);
        var loaded = await WaitAsync(shared, deadline, cancellationToken);
        // The shared read ran without the request's token: one that names a later write reads past it.
        return loaded is not null && !Covers(loaded, token) ? await BypassAsync(id, cancellationToken) : loaded;
    }

    /// <summary>Reads <paramref name="id"/> into the cache unless it is held already (the warm-up, before any request): the
    /// same shared read a miss starts, so a request for it meanwhile waits for this read instead of making its own.</summary>
    public async Task WarmAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!Enabled || _entries.TryGetValue(id, out _))
        {
            return;
        }

        await Load(id).WaitAsync(cancellationToken);
    }

    /// <summary>A change of <paramref name="id"/> was heard (or made here): <paramref name="version"/> is its new version,
    /// <see cref="VersionFloors.Deleted"/> when it was deleted, null when only its poll totals moved.</summary>
    public void Invalidate(Guid id, int? version, string reason)
    {
        _floors.Raise(id, version);
        _entries.Remove(id);
        // A read in flight began before the change: it is not kept (its sequence is older), and later requests must not
        // wait for it either; they start one of their own, which the primary-only window sends to the primary.
        _inflight.TryRemove(id, out _);
        _metrics.Invalidation(reason);
    }

    /// <summary>Changes may have been missed (the listener reconnected): nothing held is kept, nor any read in flight.</summary>
    public void ForgetAll()
    {
        Interlocked.Increment(ref _epoch);
        _entries.Clear();
        _metrics.Invalidation("reconnect");
    }

    public void Dispose()
    {
        _entries.Dispose();
        _refreshSlots.Dispose();
    }

    private static bool Covers(CachedWidget entry, ConsistencyToken? token) => token is not { } t || t.IsCoveredBy(entry.Position);

    /// <summary>A read for a request whose consistency token the entry does not cover: in the request, where the router
    /// honours the token; its snapshot replaces the entry, so the next such request hits.</summary>
    private async ValueTask<CachedWidget?> BypassAsync(Guid id, CancellationToken cancellationToken)
    {
        _metrics.Lookup("bypass");
        var (sequence, epoch) = (_floors.Sequence, Interlocked.Read(ref _epoch));
        var entry = CachedWidget.From(await ReadAsync(id, cancellationToken), _timeProvider.GetTimestamp(), _timeProvider.GetUtcNow());
        Keep(id, entry, sequence, epoch);
        return entry;
    }

    /// <summary>A snapshot no older than any change heard: from the primary while the widget is in its primary-only window,
    /// else routed, and from the primary again when the routed one is below the version floor.</summary>
    private async Task<WidgetSnapshot> ReadAsync(Guid id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        if (_floors.PrimaryOnly(id))
        {
            return await ReadPrimaryAsync(id, cancellationToken);
        }

        _metrics.Load(primary: false);
        var snapshot = await _reader.ReadRoutedAsync(id, cancellationToken);
        if (_floors.Admits(id, snapshot.Widget?.Version))
        {
            return snapshot;
        }

        // A standby that has not replayed a change this instance already heard of: the primary has it.
        Interlocked.Increment(ref _loads);
        return await ReadPrimaryAsync(id, cancellationToken);
    }

    private Task<WidgetSnapshot> ReadPrimaryAsync(Guid id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _primaryLoads);
        _metrics.Load(primary: true);
        return _reader.ReadPrimaryAsync(id, cancellationToken);
    }

    /// <summary>One background re-read of an aged entry, unless one is in flight already or every refresh slot is busy.</summary>
    private void Refresh(Guid id)
    {
        if (_inflight.ContainsKey(id))
        {
            return;
        }

        if (!_refreshSlots.Wait(0))
        {
            Interlocked.Increment(ref _refreshesSkipped);
            _metrics.RefreshSkipped();
            return;
        }

        _ = Load(id).ContinueWith(
            _ => _refreshSlots.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The one read of <paramref name="id"/> in flight, started if none is.</summary>
    private Task<CachedWidget?> Load(Guid id)
    {
        if (_inflight.TryGetValue(id, out var running))
        {
            return running;
        }

        var start = new TaskCompletionSource<CachedWidget?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inflight.TryAdd(id, start.Task))
        {
            return _inflight.TryGetValue(id, out running) ? running : Load(id);
        }

        Task<CachedWidget?> read;
        // Outside the request that happened to start it: its deadline, its consistency token and its HttpContext (which
        // may be recycled before a background refresh ends) belong to it, not to every request waiting.
        using (ExecutionContext.SuppressFlow())
        {
            read = Task.Run(() => LoadAsync(id));
        }

        _ = read.ContinueWith(
            t =>
            {
                // The entry is kept before the read leaves _inflight: a request arriving in between finds one or the other.
                _inflight.TryRemove(new KeyValuePair<Guid, Task<CachedWidget?>>(id, start.Task));
                if (t.IsCompletedSuccessfully)
                {
                    start.TrySetResult(t.Result);
                }
                else
                {
                    start.TrySetException(t.Exception?.InnerExceptions ?? [new OperationCanceledException()]);
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return start.Task;
    }

    private async Task<CachedWidget?> LoadAsync(Guid id)
    {
        var (sequence, epoch) = (_floors.Sequence, Interlocked.Read(ref _epoch));
        using var timeout = new CancellationTokenSource(_loadTimeout, _timeProvider);
        WidgetSnapshot snapshot;
        try
        {
            snapshot = await ReadAsync(id, timeout.Token);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested)
        {
            // Its own bound, not a request's cancellation: every waiter is answered 503 as a request's own timeout is.
            throw new TimeoutException(
                $"The widget's read did not finish within Database:ConnectTimeoutSeconds + Database:CommandTimeoutSeconds ({_loadTimeout.TotalSeconds:0.###} s).", ex);
        }

        var entry = CachedWidget.From(snapshot, _timeProvider.GetTimestamp(), _timeProvider.GetUtcNow());
        Keep(id, entry, sequence, epoch);
        return entry;
    }

    /// <summary>Keeps a read's entry unless the widget changed (or everything was forgotten) after the read began: that
    /// change may be newer than the snapshot. Checked again after the Set, since a change heard between the first check
    /// and the Set would otherwise leave the older snapshot in place until it ages out. A read that found no widget
    /// removes what is held (a refresh of a widget deleted without a notification heard).</summary>
    private void Keep(Guid id, CachedWidget? entry, long sequence, long epoch)
    {
        if (Changed())
        {
            return;
        }

        if (entry is null)
        {
            _entries.Remove(id);
            return;
        }

        using (var cacheEntry = _entries.CreateEntry(id))
        {
            cacheEntry.Value = entry;
            cacheEntry.Size = entry.Size;
        }

        if (Changed())
        {
            _entries.Remove(id);
        }

        bool Changed() => _floors.ChangedSince(id, sequence) || Interlocked.Read(ref _epoch) != epoch;
    }

    private static async Task<CachedWidget?> WaitAsync(Task<CachedWidget?> read, RequestDeadline? deadline, CancellationToken cancellationToken)
    {
        if (read.IsCompleted || deadline is null)
        {
            return await read.WaitAsync(cancellationToken);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await read.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException ex) when (deadline.Token.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"The widget's read did not finish before the request's deadline ({deadline.Setting}, {deadline.Budget.TotalSeconds:0.###} s).", ex);
        }
    }
}
