using Npgsql;
using Widgetify.Api.Auth;
using Widgetify.Api.Data;

namespace Widgetify.Api.Administration;

/// <summary>The key lifecycle behind <c>widgetify keys list|revoke|rotate</c>. Each change commits through
/// migration 0002's trigger, whose notification makes every running instance drop the key from its cache at once.</summary>
public static partial class WidgetifyAdministration
{
    /// <summary>The keys of <paramref name="tenantName"/> (of every tenant when null), oldest first: never the key or its hash.</summary>
    public static async Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(string connectionString, string? tenantName, CancellationToken cancellationToken)
    {
        await using var database = await OneOffDatabase.OpenAsync(connectionString, cancellationToken);
        await using var connection = await database.DataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT k.id, t.name, k.role, k.key_prefix, k.created_at, k.last_used_at, k.expires_at, k.revoked_at, k.replaced_by, now()
            FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE $1::text IS NULL OR t.name = $1
            ORDER BY t.name, k.id
            """, connection);
        command.Parameters.Add(new() { Value = (object?)tenantName ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var expiresAt = Nullable(reader, 6);
            var revokedAt = Nullable(reader, 7);
            var now = reader.GetFieldValue<DateTimeOffset>(9);
            keys.Add(new ApiKeyInfo(
                reader.GetGuid(0), reader.GetString(1), ApiKeyRoles.FromDatabase(reader.GetString(2)), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), Nullable(reader, 5), expiresAt, revokedAt,
                reader.IsDBNull(8) ? null : reader.GetGuid(8),
                revokedAt is not null ? ApiKeyState.Revoked : expiresAt <= now ? ApiKeyState.Expired : ApiKeyState.Active));
        }

        return keys;
    }

    /// <summary>Revokes key <paramref name="keyId"/>: it stops working on every instance as soon as this commits. Revoking
    /// a revoked key keeps the first revocation's time.</summary>
    /// <returns>When the key was revoked, and whether that was before this call; null when there is no such key.</returns>
    public static async Task<KeyRevocation?> RevokeKeyAsync(string connectionString, Guid keyId, CancellationToken cancellationToken)
    {
        await using var database = await OneOffDatabase.OpenAsync(connectionString, cancellationToken);
        await using var connection = await database.DataSources.OpenPrimaryAsync(cancellationToken);
        // now() is this statement's transaction start, so a revocation made here equals it and an earlier one is before it.
        await using var command = new NpgsqlCommand(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING revoked_at, revoked_at < now()", connection);
        command.Parameters.Add(new() { Value = keyId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new KeyRevocation(reader.GetFieldValue<DateTimeOffset>(0), reader.GetBoolean(1))
            : null;
    }

    /// <summary>Replaces key <paramref name="keyId"/> with a new key of the same tenant and role, in one transaction. The
    /// old key keeps working for <paramref name="overlap"/> (or until its own expiry, if sooner), so clients can switch
    /// without an outage; then it stops.</summary>
    /// <param name="connectionString">The database.</param>
    /// <param name="keyId">The key to replace.</param>
    /// <param name="overlap">How long both keys work; zero stops the old one now.</param>
    /// <param name="newExpiresAt">When the new key expires; never when null.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The new key (shown once) and when the old one stops; null when there is no such key.</returns>
    /// <exception cref="InvalidOperationException">The key is revoked or expired: there is nothing to keep working.</exception>
    public static async Task<RotatedApiKey?> RotateKeyAsync(
        string connectionString, Guid keyId, TimeSpan overlap, DateTimeOffset? newExpiresAt, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(overlap, TimeSpan.Zero);
        await using var database = await OneOffDatabase.OpenAsync(connectionString, cancellationToken);
        await using var connection = await database.DataSources.OpenPrimaryAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        Guid tenantId;
        ApiKeyRole role;
        await using (var read = new NpgsqlCommand("""
            SELECT tenant_id, role, revoked_at IS NOT NULL, COALESCE(expires_at <= now(), false)
            FROM api_keys WHERE id = $1 FOR UPDATE
            """, connection, transaction))
        {
            read.Parameters.Add(new() { Value = keyId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            if (reader.GetBoolean(2) || reader.GetBoolean(3))
            {
                throw new InvalidOperationException(
                    $"Key {keyId} is {(reader.GetBoolean(2) ? "revoked" : "expired")}: there is nothing to rotate. Create a new key with " +
                    "'./widgetify keys create --tenant NAME' instead.");
            }

            (tenantId, role) = (reader.GetGuid(0), ApiKeyRoles.FromDatabase(reader.GetString(1)));
        }

        var (newId, newKey) = await TenantStore.InsertKeyAsync(connection, transaction, tenantId, role, newExpiresAt, cancellationToken);
        await using var retire = new NpgsqlCommand("""
            UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), now() + $2), replaced_by = $3
            WHERE id = $1 RETURNING expires_at
            """, connection, transaction);
        retire.Parameters.Add(new() { Value = keyId });
        retire.Parameters.Add(new() { Value = overlap });
        retire.Parameters.Add(new() { Value = newId });
        DateTimeOffset oldValidUntil;
        await using (var reader = await retire.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            oldValidUntil = reader.GetFieldValue<DateTimeOffset>(0);
        }

        await transaction.CommitAsync(cancellationToken);
        return new RotatedApiKey(newId, newKey, newExpiresAt, oldValidUntil);
    }

    private static DateTimeOffset? Nullable(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}

/// <summary>A key as <c>keys list</c> shows it: everything but the key and its hash.</summary>
/// <param name="Id">Names the key to <c>keys revoke</c> and <c>keys rotate</c>.</param>
/// <param name="Tenant">The tenant's name.</param>
/// <param name="Role">What the key may do.</param>
/// <param name="Prefix">The key's first characters (<c>wgt_</c> and 6 more, 36 of its 256 bits): enough to tell which
/// key a client holds, nothing to authenticate with.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="LastUsedAt">When an instance last accepted it (written every <c>Api:KeyUsageFlushInterval</c>); null if never.</param>
/// <param name="ExpiresAt">When it stops working; null for never.</param>
/// <param name="RevokedAt">When it was revoked; null if it was not.</param>
/// <param name="ReplacedBy">The key that rotation made in its place.</param>
/// <param name="State">Active, expired or revoked, by the database's clock.</param>
public sealed record ApiKeyInfo(
    Guid Id, string Tenant, ApiKeyRole Role, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, Guid? ReplacedBy, ApiKeyState State);

/// <summary>Whether a key works.</summary>
public enum ApiKeyState
{
    /// <summary>It authenticates.</summary>
    Active,

    /// <summary>Its expiry has passed.</summary>
    Expired,

    /// <summary>It was revoked.</summary>
    Revoked,
}

/// <summary>A key just created; <see cref="Key"/> exists nowhere else.</summary>
/// <param name="Id">The key's id.</param>
/// <param name="Key">The key.</param>
/// <param name="ExpiresAt">When it stops working; null for never.</param>
public sealed record CreatedApiKey(Guid Id, string Key, DateTimeOffset? ExpiresAt);

/// <summary>The result of a rotation.</summary>
/// <param name="Id">The new key's id.</param>
/// <param name="Key">The new key, shown once.</param>
/// <param name="ExpiresAt">When the new key stops working; null for never.</param>
/// <param name="OldKeyValidUntil">When the old key stops working.</param>
public sealed record RotatedApiKey(Guid Id, string Key, DateTimeOffset? ExpiresAt, DateTimeOffset OldKeyValidUntil);

/// <summary>What <see cref="WidgetifyAdministration.RevokeKeyAsync"/> did.</summary>
/// <param name="RevokedAt">When the key stopped working.</param>
/// <param name="AlreadyRevoked">Whether it had been revoked before (the call changed nothing).</param>
public sealed record KeyRevocation(DateTimeOffset RevokedAt, bool AlreadyRevoked);
