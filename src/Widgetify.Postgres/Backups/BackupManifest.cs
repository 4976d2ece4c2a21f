using System.Text.Json.Serialization;

namespace Widgetify.Postgres.Backups;

/// <summary>What <c>backup.json</c> records about one base backup, beside its tar files.</summary>
/// <param name="Id">The backup's name: its start time in UTC, <c>yyyyMMddTHHmmssZ</c>.</param>
/// <param name="StartedAt">When pg_basebackup was started (UTC).</param>
/// <param name="FinishedAt">When it had copied everything, WAL included: the earliest time a restore from it can reach.</param>
/// <param name="StartLsn">Where the backup's WAL starts (its checkpoint's redo point).</param>
/// <param name="EndLsn">Where the copy became consistent.</param>
/// <param name="Timeline">The timeline the backup was taken on.</param>
/// <param name="StartWalFile">The oldest WAL segment a restore from this backup needs: older ones may go.</param>
/// <param name="PostgresVersion">The major version that wrote it; only that version can restore it.</param>
/// <param name="SizeBytes">The size of its files.</param>
public sealed record BackupManifest(
    string Id,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string StartLsn,
    string EndLsn,
    int Timeline,
    string StartWalFile,
    string PostgresVersion,
    long SizeBytes)
{
    /// <summary>The file name inside the backup's folder.</summary>
    public const string FileName = "backup.json";

    /// <summary>The backup's folder; not stored, set when it is read.</summary>
    [JsonIgnore]
    public string Folder { get; init; } = string.Empty;
}

/// <summary>Source-generated JSON for backup.json and <c>backup list --format json</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(BackupManifest))]
[JsonSerializable(typeof(List<BackupManifest>))]
public sealed partial class BackupJsonContext : JsonSerializerContext;
