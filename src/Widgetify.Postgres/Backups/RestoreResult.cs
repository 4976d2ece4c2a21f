namespace Widgetify.Postgres.Backups;

/// <summary>What <see cref="ClusterRestore.RestoreAsync"/> restored.</summary>
/// <param name="Backup">The base backup it started from.</param>
/// <param name="Target">The time asked for, or null for the end of the WAL.</param>
/// <param name="ReachedTarget">False when the WAL ended before any transaction after <paramref name="Target"/>: everything
/// there is was restored, which is the state at the target only if every commit up to it had reached the WAL read.</param>
/// <param name="LastReplayedTransaction">The commit time of the last transaction replayed, or null when none was.</param>
/// <param name="Timeline">The new timeline the restored cluster writes on.</param>
/// <param name="MovedAsideTo">Where the cluster that was there before (and its standbys) went; never deleted.</param>
/// <param name="Elapsed">From the start of the restore to the end of the replay.</param>
public sealed record RestoreResult(
    BackupManifest Backup,
    DateTimeOffset? Target,
    bool ReachedTarget,
    DateTimeOffset? LastReplayedTransaction,
    int Timeline,
    string? MovedAsideTo,
    TimeSpan Elapsed);
