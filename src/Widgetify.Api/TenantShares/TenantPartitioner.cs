using Widgetify.Api.Auth;
using Widgetify.Core.Traffic;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.TenantShares;

/// <summary>Names the tenant a request is admitted for (docs/overload.md, "Shares between tenants"), from what is known
/// in memory before authentication: admission runs before it, and this runs for every request, shed ones included, so it
/// never touches the database.
/// <list type="bullet">
/// <item>Operators' endpoints (the readiness probe): one partition of their own.</item>
/// <item>The embed and its sub-resources (<c>/w/{id}</c>, <c>/w/{id}/click</c>, <c>/w/{id}/vote</c>): the widget's
/// tenant if <see cref="IWidgetTenantLookup"/> knows it, else the widget itself (one viral widget is bounded all the
/// same). Ids that are not UUIDs share one partition, so made-up ids cannot multiply partitions for free.</item>
/// <item>The key-authenticated API: the key's tenant if <see cref="ApiKeyCache"/> holds the key as valid; a key it holds
/// as refused, or a malformed header, goes to one partition of refused keys; a well-formed key not seen yet, to its
/// display prefix (<c>wgt_</c> and 6 characters: what <c>keys list</c> shows); no key, to "anonymous".</item>
/// </list></summary>
internal sealed class TenantPartitioner(IWidgetTenantLookup widgets, ApiKeyCache keys) : IAdmissionPartitioner
{
    internal const string Operators = "operators";
    internal const string Anonymous = "anonymous";
    internal const string RefusedKeys = "refused-keys";
    internal const string InvalidWidgetIds = "widget:invalid";
    private const string Bearer = "Bearer ";

    public string? GetPartitionKey(HttpContext context)
    {
        if (context.GetEndpoint().IsForOperators())
        {
            return Operators;
        }

        var request = context.Request;
        if (request.Path.StartsWithSegments("/w", StringComparison.Ordinal) && request.RouteValues["id"] is string id)
        {
            if (!Guid.TryParseExact(id, "D", out var widgetId))
            {
                return InvalidWidgetIds;
            }

            return widgets.TryGetTenant(widgetId, out var tenantId) ? TenantKey(tenantId) : "widget:" + id;
        }

        string? header = request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Anonymous;
        }

        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return RefusedKeys;
        }

        var key = header[Bearer.Length..].Trim();
        if (!ApiKey.IsWellFormed(key))
        {
            return RefusedKeys;
        }

        var fingerprint = keys.Fingerprint(key);
        if (keys.TryGetValid(fingerprint, out var identity))
        {
            return TenantKey(identity.TenantId);
        }

        return keys.TryGetRejected(fingerprint, out _) ? RefusedKeys : "key:" + ApiKey.DisplayPrefix(key);
    }

    internal static string TenantKey(Guid tenantId) => "tenant:" + tenantId.ToString("N");
}
