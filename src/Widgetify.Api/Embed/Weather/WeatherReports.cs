using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Widgetify.Api.Embed.Weather;

/// <summary>Weather reports per location, reused for <see cref="WeatherOptions.CacheDuration"/> (failures for
/// <see cref="WeatherOptions.FailureCacheDuration"/>). One call per location at a time: concurrent views of a place
/// whose report expired wait for the same call rather than each calling the provider. That sharing does not depend on
/// the memory cache: a cache at its <see cref="WeatherOptions.MaxCachedLocations"/> refuses a new entry (and compacts in
/// the background), so calls in flight are also kept apart, until they end. Freshness is judged on the injected
/// <see cref="TimeProvider"/>; the memory cache's own expiry only evicts.</summary>
internal sealed class WeatherReports(WeatherClient client, IOptions<WeatherOptions> options, TimeProvider timeProvider) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.MaxCachedLocations });
    private readonly Dictionary<string, Task<WeatherReport?>> _inFlight = [];
    private readonly Lock _gate = new();

    /// <summary>The report for <paramref name="query"/>, or null when weather is unavailable.</summary>
    public Task<WeatherReport?> GetAsync(WeatherQuery query, CancellationToken cancellationToken)
    {
        if (options.Value.ProviderUrl is null)
        {
            return Task.FromResult<WeatherReport?>(null);
        }

        Task<WeatherReport?> report;
        lock (_gate)
        {
            var now = timeProvider.GetUtcNow();
            if (_cache.TryGetValue(query.CacheKey, out Cached? cached) && cached!.IsFresh(now, options.Value))
            {
                report = cached.Report;
            }
            else if (_inFlight.TryGetValue(query.CacheKey, out var pending) && !pending.IsCompleted)
            {
                // Ended calls are forgotten after they complete, not as: a view in between asks again.
                report = pending;
            }
            else
            {
                // Not the visitor's token: the call is shared by every view waiting on it, and bounded by TotalTimeout.
                report = client.GetAsync(query, CancellationToken.None);
                _cache.Set(query.CacheKey, new Cached(report, now), new MemoryCacheEntryOptions
                {
                    Size = 1,
                    AbsoluteExpirationRelativeToNow = options.Value.CacheDuration,
                });
                _inFlight[query.CacheKey] = report;
                var key = query.CacheKey;
                _ = report.ContinueWith(ended => Forget(key, ended), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }

        return report.WaitAsync(cancellationToken);
    }

    public void Dispose() => _cache.Dispose();

    private void Forget(string key, Task<WeatherReport?> ended)
    {
        lock (_gate)
        {
            // Only this call: a later one for the same place may already have replaced it.
            if (_inFlight.TryGetValue(key, out var current) && current == ended)
            {
                _inFlight.Remove(key);
            }
        }
    }

    private sealed record Cached(Task<WeatherReport?> Report, DateTimeOffset StartedAt)
    {
        public bool IsFresh(DateTimeOffset now, WeatherOptions options) =>
            !Report.IsCompleted
            || now - StartedAt < (Report.IsCompletedSuccessfully && Report.Result is not null ? options.CacheDuration : options.FailureCacheDuration);
    }
}
