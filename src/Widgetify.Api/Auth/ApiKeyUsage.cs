using System.Collections.Concurrent;

namespace Widgetify.Api.Auth;

/// <summary>When each key was last used, buffered in memory: a request only sets a dictionary entry, and
/// <see cref="ApiKeyUsageFlusher"/> writes them all in one statement every <see cref="ApiOptions.KeyUsageFlushInterval"/>,
/// so <c>last_used_at</c> never costs a write per request.</summary>
internal sealed class ApiKeyUsage(TimeProvider timeProvider)
{
    private ConcurrentDictionary<Guid, DateTimeOffset> _seen = new();

    public void Record(Guid keyId) => Volatile.Read(ref _seen)[keyId] = timeProvider.GetUtcNow();

    /// <summary>Takes what was recorded since the last drain.</summary>
    public IReadOnlyDictionary<Guid, DateTimeOffset> Drain() => Interlocked.Exchange(ref _seen, new ConcurrentDictionary<Guid, DateTimeOffset>());

    /// <summary>Puts back a batch whose write failed, keeping any later use recorded meanwhile.</summary>
    public void Restore(IReadOnlyDictionary<Guid, DateTimeOffset> batch)
    {
        var seen = Volatile.Read(ref _seen);
        foreach (var (keyId, usedAt) in batch)
        {
            seen.AddOrUpdate(keyId, usedAt, (_, later) => later > usedAt ? later : usedAt);
        }
    }
}
