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
/// tenant if <see cref="IWidgetTenantLookup"/> knows it, else one partition for every widget it does not know. The
/// client chooses the id, so a key derived from the id (the widget itself) would let a flood of made-up UUIDs open a
/// partition each and squeeze every real tenant down to the minimum share; one partition for all of them bounds what
/// unknown ids can take to one tenant's share. Ids that are not UUIDs share one partition too.</item>
/// <item>The key-authenticated API: the key's tenant if <see cref="ApiKeyCache"/> holds the key as valid; a key it holds
/// as refused, or a malformed header, goes to one partition of refused keys; a well-formed key not verified yet, to one
/// partition of unverified keys (for the same reason: anyone can make up well-formed keys); no key, to "anonymous".</item>
/// </list>
/// A tenant's embeds and its own API calls are separate partitions (<c>embed:</c> and <c>api:</c>): the embeds are its
/// visitors' traffic, which the tenant does not control, and a flood of them must not starve the owner's API calls.</summary>
internal sealed class TenantPartitioner(IWidgetTenantLookup widgets, ApiKeyCache keys) : IAdmissionPartitioner
{
    internal const string Operators = "operators";
    internal const string Anonymous = "anonymous";
    internal const string RefusedKeys = "refused-keys";
    internal const string InvalidWidgetIds = "widget:invalid";
    internal const string UncachedWidgets = "widgets:uncached";
    internal const string UnverifiedKeys = "keys:unverified";
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

            return widgets.TryGetTenant(widgetId, out var tenantId) ? EmbedsKey(tenantId) : UncachedWidgets;
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
            return ApiCallsKey(identity.TenantId);
        }

        return keys.TryGetRejected(fingerprint, out _) ? RefusedKeys : UnverifiedKeys;
    }

    /// <summary>The partition of a tenant's widgets' embeds (its visitors' traffic).</summary>
    internal static string EmbedsKey(Guid tenantId) => "embed:" + tenantId.ToString("N");

    /// <summary>The partition of a tenant's own API calls (its keys).</summary>
    internal static string ApiCallsKey(Guid tenantId) => "api:" + tenantId.ToString("N");
}
