using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Widgetify.Api.Data;

/// <summary>Applies the ordered SQL files embedded under Data/Migrations. Several instances may start at
/// once: a transaction-scoped advisory lock lets one apply while the others wait, then find nothing left to do.</summary>
internal sealed partial class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    // Arbitrary but fixed: every Widgetify instance must agree on it. ("widg" in ASCII.)
    internal const long AdvisoryLockKey = 0x77696467;
    private const string ResourcePrefix = "Widgetify.Migrations.";

    /// <summary>The migrations this build knows, in order.</summary>
    public static IReadOnlyList<Migration> Known { get; } = LoadEmbedded();

    /// <summary>The highest version this build knows; readiness requires the database to have it.</summary>
    public static int LatestVersion => Known[^1].Version;

    /// <summary>Applies pending migrations and returns how many were applied.</summary>
    /// <exception cref="InvalidOperationException">Something is pending and this login may not change the schema; the
    /// message names the setting to give.</exception>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await MigrateCoreAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new InvalidOperationException(
                $"Migrations are pending and this login may only read and write rows ({ex.MessageText}): set " +
                "Widgetify:Database:MigrationConnectionString to the login of the role that owns the schema (or of one that can SET ROLE to it).", ex);
        }
    }

    private async Task<int> MigrateCoreAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One transaction holds a transaction-scoped advisory lock: it is released however the run ends (even
        // if this process dies), and unlike a session lock it also works through PgBouncer in transaction mode.
        // DDL is transactional in PostgreSQL, so a failed run leaves nothing half applied.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Waiting for the lock has no command timeout: another instance may be in the middle of a long migration.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction) { CommandTimeout = 0 })
        {
            lockCommand.Parameters.AddWithValue("key", AdvisoryLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        // Created only when missing: even CREATE TABLE IF NOT EXISTS needs CREATE on the schema, which a runtime role
        // (row privileges only) lacks, and it must still find out that nothing is pending.
        if (!await ExistsAsync(connection, transaction, cancellationToken))
        {
            await ExecuteAsync(connection, transaction, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer     PRIMARY KEY,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);
        }

        var applied = await ReadAppliedAsync(connection, transaction, cancellationToken);
        var pending = new List<Migration>();
        foreach (var migration in Known)
        {
            if (!applied.TryGetValue(migration.Version, out var checksum))
            {
                pending.Add(migration);
            }
            else if (checksum != migration.Checksum)
            {
                throw new InvalidOperationException(
                    $"Migration {migration.Name} was applied with checksum {checksum}, but this build has " +
                    $"{migration.Checksum}. Applied migrations must never be edited: restore the file and add a new migration instead.");
            }
        }

        foreach (var migration in pending)
        {
            await ApplyAsync(connection, transaction, migration, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        foreach (var migration in pending)
        {
            LogApplied(logger, migration.Name);
        }

        return pending.Count;
    }

    private static async Task ApplyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Migration migration, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand(migration.Sql, connection, transaction) { CommandTimeout = 0 })
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var record = new NpgsqlCommand(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (@version, @name, @checksum)", connection, transaction);
        record.Parameters.AddWithValue("version", migration.Version);
        record.Parameters.AddWithValue("name", migration.Name);
        record.Parameters.AddWithValue("checksum", migration.Checksum);
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection, transaction);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<Dictionary<int, string>> ReadAppliedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, string>();
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = reader.GetString(1);
        }

        return applied;
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name.AsSpan(0, underscore), out var version))
            {
                throw new InvalidOperationException($"Migration file '{name}' must be named NNNN_description.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd().ReplaceLineEndings("\n");
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            migrations.Add(new Migration(version, Path.GetFileNameWithoutExtension(name), sql, checksum));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        if (migrations.Count == 0 || migrations.Select(m => m.Version).Distinct().Count() != migrations.Count)
        {
            throw new InvalidOperationException("Embedded migrations are missing or two share a version number.");
        }

        return migrations;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Migration}")]
    private static partial void LogApplied(ILogger logger, string migration);

    internal sealed record Migration(int Version, string Name, string Sql, string Checksum);
}
