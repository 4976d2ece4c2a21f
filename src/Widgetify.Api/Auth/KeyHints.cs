using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace Widgetify.Api.Auth;

/// <summary>The sentences a 401 or 403 ends with: which role of key the endpoint takes and where such a key comes from.
/// Read from the endpoint's own authorization policy, so an operator endpoint never sends a caller to make a tenant key.</summary>
internal static class KeyHints
{
    private const string OperatorKey =
        "This endpoint takes an operator key: './widgetify up' saves one to <data-dir>/operator-api-key, and "
        + "'./widgetify keys create --tenant ops --role operator' makes another.";

    private const string TenantKey =
        "This endpoint takes a tenant key: create one with './widgetify keys create --tenant NAME'.";

    /// <summary>The role the endpoint requires, or null when it names no Widgetify role.</summary>
    public static ApiKeyRole? RequiredRole(Endpoint? endpoint)
    {
        var policies = endpoint?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy) ?? [];
        return policies.Contains(AuthorizationPolicies.Operator) ? ApiKeyRole.Operator
            : policies.Contains(AuthorizationPolicies.Tenant) ? ApiKeyRole.Tenant
            : null;
    }

    /// <summary>Where to get a key of the role <paramref name="endpoint"/> requires (a tenant key when it names none).</summary>
    public static string WhereToGet(Endpoint? endpoint) => RequiredRole(endpoint) == ApiKeyRole.Operator ? OperatorKey : TenantKey;

    /// <summary>A 403's detail: the role the key has, the role the endpoint takes, and where to get one.</summary>
    public static string Forbidden(Endpoint? endpoint, ClaimsPrincipal user)
    {
        var has = user.FindFirst(ClaimTypes.Role)?.Value;
        var what = has is null ? "This request's API key may not call this endpoint." : $"This request's API key has the {has} role.";
        return RequiredRole(endpoint) is not null
            ? $"{what} {WhereToGet(endpoint)}"
            : $"{what} Its role may not call this endpoint.";
    }
}
