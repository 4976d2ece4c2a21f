namespace Widgetify.Api.Administration;

/// <summary>The limits that apply to a tenant and what it stores, as <c>./widgetify tenants show</c> prints them.</summary>
/// <param name="Tenant">The tenant's name.</param>
/// <param name="WritesPerSecond">Writes per second per API key.</param>
/// <param name="Burst">Writes at once per API key.</param>
/// <param name="MaxWidgets">Widgets the tenant may own.</param>
/// <param name="MaxStoredBytes">Bytes of widget names and configurations the tenant may store.</param>
/// <param name="Widgets">Widgets it owns now.</param>
/// <param name="StoredBytes">Bytes it stores now.</param>
public sealed record TenantLimitsReport(
    string Tenant, TenantLimit WritesPerSecond, TenantLimit Burst, TenantLimit MaxWidgets, TenantLimit MaxStoredBytes, long Widgets, long StoredBytes);

/// <summary>One limit of a tenant.</summary>
/// <param name="Value">The value in force.</param>
/// <param name="IsDefault">True when the tenant has no override: the built-in default applies, unless the instances set
/// <c>Widgetify:RateLimits</c> otherwise.</param>
public sealed record TenantLimit(long Value, bool IsDefault);
