using Npgsql;
using Widgetify.Api.Auth;

namespace Widgetify.Api.Data;

/// <summary>Tenants and their API keys.</summary>
internal sealed class TenantStore(WidgetifyDataSources dataSources)
{
    /// <summary>The tenant's id, creating the tenant if it does not exist yet.</summary>
    public async Task<Guid> EnsureTenantAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("""
            WITH inserted AS (
                INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id)
            SELECT id FROM inserted UNION ALL SELECT id FROM tenants WHERE name = $2
            LIMIT 1
            """);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = name });
        return (Guid)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The id of the tenant named <paramref name="name"/>, or null when there is none.</summary>
    public async Task<Guid?> FindTenantAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("SELECT id FROM tenants WHERE name = $1");
        command.Parameters.Add(new() { Value = name });
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    /// <summary>Creates a key for the tenant and returns it; this is the only time the plain key exists.</summary>
    public async Task<string> CreateKeyAsync(Guid tenantId, ApiKeyRole role, CancellationToken cancellationToken) =>
        (await CreateKeyAsync(tenantId, role, expiresAt: null, cancellationToken)).Key;

    /// <summary>Creates a key for the tenant that expires at <paramref name="expiresAt"/> (never when null).</summary>
    /// <returns>Its id and the key; this is the only time the plain key exists.</returns>
    public async Task<(Guid Id, string Key)> CreateKeyAsync(
        Guid tenantId, ApiKeyRole role, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        return await InsertKeyAsync(connection, null, tenantId, role, expiresAt, cancellationToken);
    }

    internal static async Task<(Guid Id, string Key)> InsertKeyAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid tenantId, ApiKeyRole role, DateTimeOffset? expiresAt,
        CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        var key = ApiKey.Generate();
        await using var command = new NpgsqlCommand(
            "INSERT INTO api_keys (id, tenant_id, key_hash, key_prefix, role, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            connection, transaction);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = ApiKey.Hash(key) });
        command.Parameters.Add(new() { Value = ApiKey.DisplayPrefix(key) });
        command.Parameters.Add(new() { Value = role.ToDatabase() });
        command.Parameters.Add(new() { Value = (object?)expiresAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return (id, key);
    }

    /// <summary>The identity behind a key, or null when the key is unknown, revoked or expired.</summary>
    public async Task<ApiKeyIdentity?> FindKeyAsync(string key, CancellationToken cancellationToken) =>
        await LookupKeyAsync(key, cancellationToken) is { Rejection: null } found ? found.Identity : null;

    /// <summary>The key's identity, or why it is refused. Expiry is judged by the database's clock, the one that
    /// set it.</summary>
    public async Task<ApiKeyLookup> LookupKeyAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("""
            SELECT k.id, k.tenant_id, t.name, k.role, k.expires_at, k.revoked_at IS NOT NULL, k.expires_at <= now()
            FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE k.key_hash = $1
            """);
        command.Parameters.Add(new() { Value = ApiKey.Hash(key) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new ApiKeyLookup(null, new ApiKeyRejection(ApiKeyRejectionReason.Unknown));
        }

        DateTimeOffset? expiresAt = reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4);
        var identity = new ApiKeyIdentity(
            reader.GetGuid(1), reader.GetString(2), ApiKeyRoles.FromDatabase(reader.GetString(3)), reader.GetGuid(0), expiresAt);
        return reader.GetBoolean(5) ? new ApiKeyLookup(identity, new ApiKeyRejection(ApiKeyRejectionReason.Revoked))
            : !reader.IsDBNull(6) && reader.GetBoolean(6) ? new ApiKeyLookup(identity, new ApiKeyRejection(ApiKeyRejectionReason.Expired, expiresAt))
            : new ApiKeyLookup(identity, null);
    }

    /// <summary>Writes when keys were last used, in one statement; never moves a key's time backwards (two instances
    /// flush the same key in any order).</summary>
    public async Task RecordKeyUsageAsync(Guid[] keyIds, DateTimeOffset[] usedAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("""
            UPDATE api_keys k SET last_used_at = u.used_at
            FROM unnest($1::uuid[], $2::timestamptz[]) AS u (id, used_at)
            WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.used_at)
            """);
        command.Parameters.Add(new() { Value = keyIds });
        command.Parameters.Add(new() { Value = usedAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Who a valid API key speaks for.</summary>
/// <param name="TenantId">The tenant.</param>
/// <param name="TenantName">The tenant's name.</param>
/// <param name="Role">What the key may do.</param>
/// <param name="KeyId">The key's row, named by change notifications and usage records.</param>
/// <param name="ExpiresAt">When the key stops working; null for never.</param>
internal sealed record ApiKeyIdentity(Guid TenantId, string TenantName, ApiKeyRole Role, Guid KeyId = default, DateTimeOffset? ExpiresAt = null);

/// <summary>A key's lookup: its identity when the row exists, and why it is refused (null when it is valid).</summary>
internal sealed record ApiKeyLookup(ApiKeyIdentity? Identity, ApiKeyRejection? Rejection);
