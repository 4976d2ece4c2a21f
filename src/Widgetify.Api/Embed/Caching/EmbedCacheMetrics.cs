using System.Diagnostics.Metrics;

namespace Widgetify.Api.Embed.Caching;

/// <summary>What the rendered-widget cache does (meter <see cref="MeterName"/>):
/// <list type="bullet">
/// <item><c>widgetify.embed.cache.lookups</c> (counter, {lookup}, by <c>widgetify.embed.cache.result</c>: hit, stale
/// (served while re-read), miss (waited for a read), bypass (a consistency token newer than the entry, or the cache
/// off)).</item>
/// <item><c>widgetify.embed.cache.loads</c> (counter, {query}, by <c>widgetify.embed.cache.source</c>: routed, primary (a
/// standby's snapshot was older than a change heard)): the database reads the cache made; single-flight makes one per
/// widget however many requests wait.</item>
/// <item><c>widgetify.embed.cache.invalidations</c> (counter, {invalidation}, by <c>widgetify.embed.cache.reason</c>:
/// change, votes, reconnect).</item>
/// <item><c>widgetify.embed.cache.refreshes_skipped</c> (counter, {refresh}): aged entries served without a background
/// re-read because <c>Embed:Cache:MaxConcurrentRefreshes</c> were already running.</item>
/// <item><c>widgetify.embed.cache.entries</c> ({entry}) and <c>widgetify.embed.cache.size</c> (By): what it holds.</item>
/// </list></summary>
internal sealed class EmbedCacheMetrics
{
    public const string MeterName = "Widgetify.Embed.Cache";

    private readonly Counter<long> _lookups;
    private readonly Counter<long> _loads;
    private readonly Counter<long> _invalidations;
    private readonly Counter<long> _refreshesSkipped;
    private Func<(long Entries, long Bytes)>? _observe;

    public EmbedCacheMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _lookups = meter.CreateCounter<long>("widgetify.embed.cache.lookups", "{lookup}", "Embeds looked up in the rendered-widget cache, by result.");
        _loads = meter.CreateCounter<long>("widgetify.embed.cache.loads", "{query}", "Database reads made by the rendered-widget cache.");
        _invalidations = meter.CreateCounter<long>("widgetify.embed.cache.invalidations", "{invalidation}", "Cached widgets dropped because they changed.");
        _refreshesSkipped = meter.CreateCounter<long>(
            "widgetify.embed.cache.refreshes_skipped", "{refresh}", "Aged entries served without a background re-read because every refresh slot was busy.");
        meter.CreateObservableGauge("widgetify.embed.cache.entries", () => _observe?.Invoke().Entries ?? 0, "{entry}", "Widgets in the rendered-widget cache.");
        meter.CreateObservableGauge("widgetify.embed.cache.size", () => _observe?.Invoke().Bytes ?? 0, "By", "Estimated bytes held by the rendered-widget cache.");
    }

    /// <summary>Where the gauges read from (the cache, once built).</summary>
    public void Observe(Func<(long Entries, long Bytes)> observe) => _observe = observe;

    public void Lookup(string result)
    {
        if (_lookups.Enabled)
        {
            _lookups.Add(1, new KeyValuePair<string, object?>("widgetify.embed.cache.result", result));
        }
    }

    public void Load(bool primary)
    {
        if (_loads.Enabled)
        {
            _loads.Add(1, new KeyValuePair<string, object?>("widgetify.embed.cache.source", primary ? "primary" : "routed"));
        }
    }

    public void RefreshSkipped()
    {
        if (_refreshesSkipped.Enabled)
        {
            _refreshesSkipped.Add(1);
        }
    }

    public void Invalidation(string reason, int count = 1)
    {
        if (_invalidations.Enabled)
        {
            _invalidations.Add(count, new KeyValuePair<string, object?>("widgetify.embed.cache.reason", reason));
        }
    }
}
