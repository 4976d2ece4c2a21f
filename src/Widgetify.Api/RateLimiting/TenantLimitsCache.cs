using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Core.Database;

namespace Widgetify.Api.RateLimiting;

/// <summary>Every tenant's limits, in memory: the write path reads them without a database round trip, and the table is
/// reread every <see cref="RateLimitOptions.LimitsRefreshInterval"/>, which bounds how long a changed limit takes to apply
/// on every instance. The table holds only tenants with overrides, so a reread is one small query.</summary>
internal sealed partial class TenantLimitsCache(
    TenantLimitsStore store, IOptions<WidgetifyOptions> options, TimeProvider timeProvider, ILogger<TenantLimitsCache> logger)
    : BackgroundService
{
    private readonly RateLimitOptions _defaults = options.Value.RateLimits;
    private FrozenDictionary<Guid, TenantLimits> _overrides = FrozenDictionary<Guid, TenantLimits>.Empty;

    /// <summary>The limits of <paramref name="tenantId"/> as last read.</summary>
    public EffectiveLimits For(Guid tenantId) =>
        (Volatile.Read(ref _overrides).GetValueOrDefault(tenantId) ?? TenantLimits.None).Over(_defaults);

    /// <summary>Rereads the table now.</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken) =>
        Volatile.Write(ref _overrides, await store.ReadAllAsync(cancellationToken));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (DatabaseUnavailable.Is(ex, out var why))
            {
                // The last limits read stay in force; the next interval tries again.
                LogRefreshFailed(logger, why);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (NpgsqlException ex)
            {
                // Any other refusal (a statement timeout, a privilege missing on an operator's own database): the limits
                // stay as last read, and a background service that threw would stop the whole host.
                LogRefreshFailed(logger, ex.Message);
            }

            try
            {
                await Task.Delay(_defaults.LimitsRefreshInterval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant limits could not be reread, the last ones read stay in force: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
