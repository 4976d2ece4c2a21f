using System.Security.Claims;

namespace Widgetify.Api.Auth;

/// <summary>Claims the API key handler puts on the request's principal.</summary>
internal static class WidgetifyClaims
{
    public const string TenantId = "widgetify:tenant_id";
    public const string TenantName = "widgetify:tenant_name";

    /// <summary>The API key's id (not the key): what per-key limits are kept by.</summary>
    public const string KeyId = "widgetify:key_id";

    /// <summary>The authenticated tenant; endpoints behind <c>RequireAuthorization</c> always have one.</summary>
    public static Guid GetTenantId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(TenantId) ?? throw new InvalidOperationException("The request is not authenticated."));
}
