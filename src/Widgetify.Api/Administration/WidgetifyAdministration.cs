using Microsoft.Extensions.Logging.Abstractions;
using Widgetify.Api.Auth;
using Widgetify.Api.Data;
using Widgetify.Api.RateLimiting;

namespace Widgetify.Api.Administration;

/// <summary>What the operator commands (<c>widgetify up</c>, <c>widgetify keys</c>) do to a Widgetify database: the
/// one public door to tenants, keys and the demo data, so that the commands need none of the service's internals.</summary>
public static partial class WidgetifyAdministration
{
    /// <summary>The tenant that owns the demo widgets.</summary>
    public const string DemoTenant = DemoData.TenantName;

    /// <summary>Applies the migrations and creates the features' tables as the schema's owner (the embedded cluster's
    /// <c>MigrationConnectionString</c>), before a one-off command that logs in as the runtime role, which may not.</summary>
    /// <returns>The number of migrations applied.</returns>
    public static Task<int> MigrateAsOwnerAsync(string migrationConnectionString, CancellationToken cancellationToken) =>
        OwnedSchema.ApplyAsync(migrationConnectionString, NullLogger<MigrationRunner>.Instance, cancellationToken);

    /// <summary>Creates <paramref name="tenantName"/> if needed and a new key for it, as a one-off client like psql: on
    /// one connection of the ones kept for other clients, with no share of the connection budget. Migrates first (as the
    /// login: see <see cref="MigrateAsOwnerAsync"/> where that may not change the schema).</summary>
    /// <returns>The key, which is shown once (only its hash is stored).</returns>
    public static async Task<string> CreateKeyAsync(
        string connectionString, string tenantName, ApiKeyRole role, CancellationToken cancellationToken) =>
        (await CreateKeyAsync(connectionString, tenantName, role, expiresAt: null, cancellationToken)).Key;

    /// <summary>Creates <paramref name="tenantName"/> if needed and a new key for it that stops working at
    /// <paramref name="expiresAt"/> (never when null), as a one-off client. Migrates first.</summary>
    /// <returns>The key's id and the key, which is shown once (only its hash is stored).</returns>
    public static async Task<CreatedApiKey> CreateKeyAsync(
        string connectionString, string tenantName, ApiKeyRole role, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        await using var database = await OneOffDatabase.OpenAsync(connectionString, cancellationToken);
        var tenants = new TenantStore(database.DataSources);
        var tenantId = await tenants.EnsureTenantAsync(tenantName, cancellationToken);
        var (id, key) = await tenants.CreateKeyAsync(tenantId, role, expiresAt, cancellationToken);
        return new CreatedApiKey(id, key, expiresAt);
    }

    /// <summary>Returns <paramref name="savedKey"/> while it is still a valid <paramref name="role"/> key of
    /// <paramref name="tenantName"/> on this database; otherwise creates the tenant if needed and a new key, as a one-off
    /// client (what 'cluster up' does once for its instances, so that they never make keys of their own).</summary>
    /// <returns>The key, and whether it is new (the caller saves a new one).</returns>
    public static async Task<(string Key, bool Created)> EnsureKeyAsync(
        string connectionString, string tenantName, ApiKeyRole role, string? savedKey, CancellationToken cancellationToken)
    {
        await using var database = await OneOffDatabase.OpenAsync(connectionString, cancellationToken);
        var tenants = new TenantStore(database.DataSources);
        var tenantId = await tenants.EnsureTenantAsync(tenantName, cancellationToken);
        if (savedKey is not null && ApiKey.IsWellFormed(savedKey)
            && await tenants.FindKeyAsync(savedKey, cancellationToken) is { } identity && identity.TenantId == tenantId && identity.Role == role)
        {
            return (savedKey, false);
        }

        return (await tenants.CreateKeyAsync(tenantId, role, cancellationToken), true);
    }

    /// <summary>Overrides the given limits of <paramref name="tenantName"/> (null: leave as they are), as a one-off client.
    /// Running instances apply them within <c>Widgetify:RateLimits:LimitsRefreshInterval</c> (5 s by default).</summary>
    /// <returns>The tenant's limits and usage after the change, or null when there is no such tenant.</returns>
    public static async Task<TenantLimitsReport?> SetTenantLimitsAsync(
        string connectionString, string tenantName, int? writesPerSecond, int? burst, long? maxWidgets, long? maxStoredBytes,
        CancellationToken cancellationToken)
    {
        await using var database = await OneOffDatabase.OpenAsync(connectionString, cancellationToken);
        if (await new TenantStore(database.DataSources).FindTenantAsync(tenantName, cancellationToken) is not { } tenantId)
        {
            return null;
        }

        await new TenantLimitsStore(database.DataSources).SetAsync(tenantId, new TenantLimits(writesPerSecond, burst, maxWidgets, maxStoredBytes), cancellationToken);
        return await ReadReportAsync(database.DataSources, tenantName, tenantId, cancellationToken);
    }

    /// <summary>The limits that apply to <paramref name="tenantName"/> (its overrides over the built-in defaults) and what it
    /// stores, or null when there is no such tenant.</summary>
    public static async Task<TenantLimitsReport?> GetTenantLimitsAsync(string connectionString, string tenantName, CancellationToken cancellationToken)
    {
        await using var database = await OneOffDatabase.OpenAsync(connectionString, cancellationToken);
        return await new TenantStore(database.DataSources).FindTenantAsync(tenantName, cancellationToken) is { } tenantId
            ? await ReadReportAsync(database.DataSources, tenantName, tenantId, cancellationToken)
            : null;
    }

    private static async Task<TenantLimitsReport> ReadReportAsync(
        WidgetifyDataSources dataSources, string tenantName, Guid tenantId, CancellationToken cancellationToken)
    {
        var (overrides, usage) = (await new TenantLimitsStore(dataSources).ReadAsync(tenantId, cancellationToken))!.Value;
        var defaults = new RateLimitOptions();
        var limits = overrides.Over(defaults);
        return new TenantLimitsReport(
            tenantName,
            new(limits.Write.WritesPerSecond, overrides.WritesPerSecond is null),
            new(limits.Write.Burst, overrides.Burst is null),
            new(limits.Quota.MaxWidgets, overrides.MaxWidgets is null),
            new(limits.Quota.MaxStoredBytes, overrides.MaxStoredBytes is null),
            usage.Widgets,
            usage.StoredBytes);
    }

    /// <summary>Makes sure the demo tenant has <paramref name="widgetCount"/> widgets (adds what is missing).</summary>
    /// <returns>How many were added now, and one of them for the printed sample embed (null when there are none).</returns>
    public static async Task<(int Added, Guid? SampleWidgetId)> EnsureDemoWidgetsAsync(
        this IServiceProvider services, int widgetCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var (tenantId, added) = await services.GetRequiredService<DemoData>().EnsureAsync(widgetCount, cancellationToken);
        var sample = (await services.GetRequiredService<WidgetStore>().ListAsync(tenantId, null, null, null, 1, cancellationToken))
            .FirstOrDefault();
        return (added, sample?.Id);
    }

    /// <summary>Returns <paramref name="savedKey"/> while it is still a valid <paramref name="role"/> key of
    /// <paramref name="tenantName"/> on this database; otherwise creates the tenant if needed and a new key.</summary>
    /// <returns>The key, and whether it is new (the caller saves a new one).</returns>
    public static async Task<(string Key, bool Created)> EnsureKeyAsync(
        this IServiceProvider services, string tenantName, ApiKeyRole role, string? savedKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var tenants = services.GetRequiredService<TenantStore>();
        var tenantId = await tenants.EnsureTenantAsync(tenantName, cancellationToken);
        if (savedKey is not null && ApiKey.IsWellFormed(savedKey)
            && await tenants.FindKeyAsync(savedKey, cancellationToken) is { } identity && identity.TenantId == tenantId && identity.Role == role)
        {
            return (savedKey, false);
        }

        return (await tenants.CreateKeyAsync(tenantId, role, cancellationToken), true);
    }
}
