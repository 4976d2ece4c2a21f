namespace Widgetify.Postgres.Backups;

/// <summary>What <see cref="ClusterBackups.BackupAsync"/> did.</summary>
/// <param name="Backup">The new backup.</param>
/// <param name="Removed">Backups removed by retention, oldest first.</param>
/// <param name="RemovedWalFiles">Archived WAL segments removed because no kept backup needs them.</param>
/// <param name="Warning">Something the operator should know (archiving off on the running server), or null.</param>
public sealed record BackupResult(BackupManifest Backup, IReadOnlyList<BackupManifest> Removed, int RemovedWalFiles, string? Warning);
