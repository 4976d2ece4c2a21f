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
    public async Task<string> CreateKeyAsync(Guid tenantId, ApiKeyRole role, CancellationToken cancellationToken)
    {
        var key = ApiKey.Generate();
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand(
            "INSERT INTO api_keys (id, tenant_id, key_hash, key_prefix, role) VALUES ($1, $2, $3, $4, $5)");
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = ApiKey.Hash(key) });
        command.Parameters.Add(new() { Value = ApiKey.DisplayPrefix(key) });
        command.Parameters.Add(new() { Value = role.ToDatabase() });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return key;
    }

    /// <summary>The identity behind a key, or null when the key is unknown or revoked.</summary>
    public async Task<ApiKeyIdentity?> FindKeyAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("""
            SELECT k.tenant_id, t.name, k.role FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL
            """);
        command.Parameters.Add(new() { Value = ApiKey.Hash(key) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ApiKeyIdentity(reader.GetGuid(0), reader.GetString(1), ApiKeyRoles.FromDatabase(reader.GetString(2)))
            : null;
    }
}

/// <summary>Who a valid API key speaks for.</summary>
internal sealed record ApiKeyIdentity(Guid TenantId, string TenantName, ApiKeyRole Role);
