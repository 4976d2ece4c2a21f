using System.Collections.Frozen;
using Npgsql;
using NpgsqlTypes;
using Widgetify.Api.RateLimiting;

namespace Widgetify.Api.Data;

/// <summary>The per-tenant overrides of <see cref="RateLimitOptions"/> (<c>tenant_limits</c>) and what each tenant
/// stores (<c>tenant_usage</c>, kept by a trigger on <c>widgets</c>).</summary>
internal sealed class TenantLimitsStore(WidgetifyDataSources dataSources)
{
    /// <summary>Every tenant's overrides, for the instance's cache.</summary>
    public async Task<FrozenDictionary<Guid, TenantLimits>> ReadAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand(
            "SELECT tenant_id, writes_per_second, burst, max_widgets, max_stored_bytes FROM tenant_limits");
        var limits = new Dictionary<Guid, TenantLimits>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            limits[reader.GetGuid(0)] = ReadLimits(reader, 1);
        }

        return limits.ToFrozenDictionary();
    }

    /// <summary>Sets the given overrides of a tenant (null: leave as they are).</summary>
    public async Task SetAsync(Guid tenantId, TenantLimits changes, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("""
            INSERT INTO tenant_limits AS l (tenant_id, writes_per_second, burst, max_widgets, max_stored_bytes)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (tenant_id) DO UPDATE SET
                writes_per_second = COALESCE(EXCLUDED.writes_per_second, l.writes_per_second),
                burst = COALESCE(EXCLUDED.burst, l.burst),
                max_widgets = COALESCE(EXCLUDED.max_widgets, l.max_widgets),
                max_stored_bytes = COALESCE(EXCLUDED.max_stored_bytes, l.max_stored_bytes),
                updated_at = now()
            """);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = (object?)changes.WritesPerSecond ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new() { Value = (object?)changes.Burst ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new() { Value = (object?)changes.MaxWidgets ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = (object?)changes.MaxStoredBytes ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A tenant's overrides and usage (zero when it never stored a widget), or null when there is no such tenant.</summary>
    public async Task<(TenantLimits Limits, TenantUsage Usage)?> ReadAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("""
            SELECT l.writes_per_second, l.burst, l.max_widgets, l.max_stored_bytes, COALESCE(u.widgets, 0), COALESCE(u.stored_bytes, 0)
            FROM tenants t LEFT JOIN tenant_limits l ON l.tenant_id = t.id LEFT JOIN tenant_usage u ON u.tenant_id = t.id
            WHERE t.id = $1
            """);
        command.Parameters.Add(new() { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (ReadLimits(reader, 0), new TenantUsage(reader.GetInt64(4), reader.GetInt64(5)))
            : null;
    }

    private static TenantLimits ReadLimits(NpgsqlDataReader reader, int first) => new(
        reader.IsDBNull(first) ? null : reader.GetInt32(first),
        reader.IsDBNull(first + 1) ? null : reader.GetInt32(first + 1),
        reader.IsDBNull(first + 2) ? null : reader.GetInt64(first + 2),
        reader.IsDBNull(first + 3) ? null : reader.GetInt64(first + 3));
}
