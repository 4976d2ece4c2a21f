using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Widgetify.Api.Embed.Weather;

/// <summary>Weather reports per location, reused for <see cref="WeatherOptions.CacheDuration"/> (failures for
/// <see cref="WeatherOptions.FailureCacheDuration"/>). One call per location at a time: concurrent views of a place
/// whose report expired wait for the same call rather than each calling the provider. Freshness is judged on the
/// injected <see cref="TimeProvider"/>; the memory cache's own expiry only evicts.</summary>
internal sealed class WeatherReports(WeatherClient client, IOptions<WeatherOptions> options, TimeProvider timeProvider) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.MaxCachedLocations });
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
            else
            {
                // Not the visitor's token: the call is shared by every view waiting on it, and bounded by TotalTimeout.
                report = client.GetAsync(query, CancellationToken.None);
                _cache.Set(query.CacheKey, new Cached(report, now), new MemoryCacheEntryOptions
                {
                    Size = 1,
                    AbsoluteExpirationRelativeToNow = options.Value.CacheDuration,
                });
            }
        }

        return report.WaitAsync(cancellationToken);
    }

    public void Dispose() => _cache.Dispose();

    private sealed record Cached(Task<WeatherReport?> Report, DateTimeOffset StartedAt)
    {
        public bool IsFresh(DateTimeOffset now, WeatherOptions options) =>
            !Report.IsCompleted
            || now - StartedAt < (Report.IsCompletedSuccessfully && Report.Result is not null ? options.CacheDuration : options.FailureCacheDuration);
    }
}
