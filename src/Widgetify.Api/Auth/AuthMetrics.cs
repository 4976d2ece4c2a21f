using System.Diagnostics.Metrics;

namespace Widgetify.Api.Auth;

/// <summary>What authentication costs (meter <see cref="MeterName"/>):
/// <list type="bullet">
/// <item><c>widgetify.auth.lookups</c> (counter, {lookup}, by <c>widgetify.auth.result</c>: valid, unknown, revoked,
/// expired): API keys looked up in the database.</item>
/// <item><c>widgetify.auth.cache_hits</c> (counter, {request}, by <c>widgetify.auth.result</c>: valid or rejected): keys
/// answered from memory. A bad key repeated should show here, not in lookups.</item>
/// </list></summary>
internal sealed class AuthMetrics
{
    public const string MeterName = "Widgetify.Auth";
    private const string ResultTag = "widgetify.auth.result";

    private readonly Counter<long> _lookups;
    private readonly Counter<long> _cacheHits;

    public AuthMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _lookups = meter.CreateCounter<long>("widgetify.auth.lookups", "{lookup}", "API keys looked up in the database.");
        _cacheHits = meter.CreateCounter<long>("widgetify.auth.cache_hits", "{request}", "API keys answered from memory, valid or rejected.");
    }

    public void Lookup(string result)
    {
        if (_lookups.Enabled)
        {
            _lookups.Add(1, new KeyValuePair<string, object?>(ResultTag, result));
        }
    }

    public void CacheHit(bool valid)
    {
        if (_cacheHits.Enabled)
        {
            _cacheHits.Add(1, new KeyValuePair<string, object?>(ResultTag, valid ? "valid" : "rejected"));
        }
    }
}
