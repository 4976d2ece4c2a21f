using System.Diagnostics.Metrics;

namespace Widgetify.Api.RateLimiting;

/// <summary>The limits' instruments (meter <see cref="MeterName"/>): <c>widgetify.rate_limit.rejections</c> (counter,
/// {request}, by <c>reason</c>: <c>rate</c> for a 429, <c>quota_widgets</c> or <c>quota_bytes</c> for a 409).</summary>
internal sealed class RateLimitMetrics
{
    public const string MeterName = "Widgetify.RateLimiting";

    private readonly Counter<long> _rejections;

    public RateLimitMetrics(IMeterFactory meterFactory) =>
        _rejections = meterFactory.Create(MeterName).CreateCounter<long>("widgetify.rate_limit.rejections", "{request}",
            "Writes refused because the API key wrote too fast (429) or the tenant's quota is used up (409).");

    public void RecordRejection(RejectionKind kind)
    {
        if (_rejections.Enabled)
        {
            _rejections.Add(1, new KeyValuePair<string, object?>("reason", kind switch
            {
                RejectionKind.Rate => "rate",
                RejectionKind.QuotaWidgets => "quota_widgets",
                _ => "quota_bytes",
            }));
        }
    }
}

/// <summary>Why a write was refused.</summary>
internal enum RejectionKind
{
    Rate,
    QuotaWidgets,
    QuotaBytes,
}
