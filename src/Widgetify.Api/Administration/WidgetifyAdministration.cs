using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Widgetify.Api.Auth;
using Widgetify.Api.Data;
using Widgetify.Api.RateLimiting;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Administration;

/// <summary>What the operator commands (<c>widgetify up</c>, <c>widgetify keys</c>) do to a Widgetify database: the
/// one public door to tenants, keys and the demo data, so that the commands need none of the service's internals.</summary>
public static class WidgetifyAdministration
{
    /// <summary>The tenant that owns the demo widgets.</summary>
    public const string DemoTenant = DemoData.TenantName;

    /// <summary>Creates <paramref name="tenantName"/> if needed and a new key for it, as a one-off client like psql: on
    /// one connection of the ones kept for other clients, with no share of the connection budget. Migrates first.</summary>
    /// <returns>The key, which is shown once (only its hash is stored).</returns>
    public static async Task<string> CreateKeyAsync(
        string connectionString, string tenantName, ApiKeyRole role, CancellationToken cancellationToken)
    {
        var options = new WidgetifyOptions
        {
            Database = { ConnectionString = connectionString, ApplicationName = "widgetify-keys", MaxPoolSize = 1 },
            ConnectionBudget = { Enabled = false },
        };
        await using var governor = WidgetifyDataSources.CreateGovernor(options, TimeProvider.System, NullLoggerFactory.Instance);
        await using var dataSources = new WidgetifyDataSources(Options.Create(options), governor, NullLoggerFactory.Instance);
        await new MigrationRunner(dataSources.Control, NullLogger<MigrationRunner>.Instance).MigrateAsync(cancellationToken);

        var tenants = new TenantStore(dataSources);
        var tenantId = await tenants.EnsureTenantAsync(tenantName, cancellationToken);
        return await tenants.CreateKeyAsync(tenantId, role, cancellationToken);
    }

    /// <summary>Overrides the given limits of <paramref name="tenantName"/> (null: leave as they are), as a one-off client.
    /// Running instances apply them within <c>Widgetify:RateLimits:LimitsRefreshInterval</c> (5 s by default).</summary>
    /// <returns>The tenant's limits and usage after the change, or null when there is no such tenant.</returns>
    public static async Task<TenantLimitsReport?> SetTenantLimitsAsync(
        string connectionString, string tenantName, int? writesPerSecond, int? burst, long? maxWidgets, long? maxStoredBytes,
        CancellationToken cancellationToken)
    {
        await using var session = await OneOffSession.OpenAsync(connectionString, "widgetify-tenants", cancellationToken);
        if (await session.Tenants.FindTenantAsync(tenantName, cancellationToken) is not { } tenantId)
        {
            return null;
        }

        await new TenantLimitsStore(session.DataSources).SetAsync(tenantId, new TenantLimits(writesPerSecond, burst, maxWidgets, maxStoredBytes), cancellationToken);
        return await ReadReportAsync(session.DataSources, tenantName, tenantId, cancellationToken);
    }

    /// <summary>The limits that apply to <paramref name="tenantName"/> (its overrides over the built-in defaults) and what it
    /// stores, or null when there is no such tenant.</summary>
    public static async Task<TenantLimitsReport?> GetTenantLimitsAsync(string connectionString, string tenantName, CancellationToken cancellationToken)
    {
        await using var session = await OneOffSession.OpenAsync(connectionString, "widgetify-tenants", cancellationToken);
        return await session.Tenants.FindTenantAsync(tenantName, cancellationToken) is { } tenantId
            ? await ReadReportAsync(session.DataSources, tenantName, tenantId, cancellationToken)
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

    /// <summary>One connection of the ones kept for other clients, with no share of the connection budget, as psql would
    /// use; migrates first.</summary>
    private sealed class OneOffSession : IAsyncDisposable
    {
        private readonly PoolGovernor _governor;

        private OneOffSession(PoolGovernor governor, WidgetifyDataSources dataSources)
        {
            _governor = governor;
            DataSources = dataSources;
            Tenants = new TenantStore(dataSources);
        }

        public WidgetifyDataSources DataSources { get; }

        public TenantStore Tenants { get; }

        public static async Task<OneOffSession> OpenAsync(string connectionString, string applicationName, CancellationToken cancellationToken)
        {
            var options = new WidgetifyOptions
            {
                Database = { ConnectionString = connectionString, ApplicationName = applicationName, MaxPoolSize = 1 },
                ConnectionBudget = { Enabled = false },
            };
            var governor = WidgetifyDataSources.CreateGovernor(options, TimeProvider.System, NullLoggerFactory.Instance);
            var session = new OneOffSession(governor, new WidgetifyDataSources(Options.Create(options), governor, NullLoggerFactory.Instance));
            try
            {
                await new MigrationRunner(session.DataSources.Control, NullLogger<MigrationRunner>.Instance).MigrateAsync(cancellationToken);
                return session;
            }
            catch
            {
                await session.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await DataSources.DisposeAsync();
            await _governor.DisposeAsync();
        }
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
