using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Widgetify.Api.Auth;

namespace Widgetify.Api.RateLimiting;

/// <summary>The quota a write of the widget API is held to, and the answer when it is used up.</summary>
/// <remarks>
/// 409 Conflict, not 429 or 403: the request conflicts with the current state of the tenant's widgets (RFC 9110
/// 15.5.10: "the user might be able to resolve the conflict and resubmit the request", by deleting widgets or having the
/// limit raised). 429 (RFC 6585) is about a rate in time, and a client that retries after a Retry-After would only be
/// refused again; the benchmarks and drills count 429 as throttled, which a full quota is not. 403 would say the key may
/// not do this at all, which is wrong for a key that could the moment a widget is deleted.
/// </remarks>
internal sealed class TenantQuotas(TenantLimitsCache limits, RateLimitMetrics metrics, IOptions<WidgetifyOptions> options)
{
    private readonly bool _enabled = options.Value.RateLimits.Enabled;

    /// <summary>The quota of the request's tenant, or null when quotas are off (usage is counted either way).</summary>
    public Quota? For(ClaimsPrincipal user) => _enabled ? limits.For(user.GetTenantId()).Quota : null;

    public ProblemHttpResult Refuse(ClaimsPrincipal user, QuotaBreach breach)
    {
        metrics.RecordRejection(breach.Kind);
        var tenant = user.FindFirstValue(WidgetifyClaims.TenantName) ?? "NAME";
        var what = breach.Kind == RejectionKind.QuotaWidgets ? "widgets" : "bytes of widget names and configurations";
        // The client is a tenant: how an operator raises a quota is in docs/rate-limits.md, not in an answer to an API customer.
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"Tenant '{tenant}' stores {breach.Used:N0} {what} and its quota is {breach.Limit:N0}: this write would exceed it, so nothing was written. " +
            $"Delete widgets to make room, or ask the service's operator to raise the quota. Retrying as is will not help.");
        return TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: "Quota exceeded",
            extensions: new Dictionary<string, object?>
            {
                ["quota"] = breach.Kind == RejectionKind.QuotaWidgets ? "widgets" : "stored_bytes",
                ["usage"] = breach.Used,
                ["limit"] = breach.Limit,
            });
    }
}
