using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace Widgetify.Postgres.Backups;

/// <summary>Base backups of the embedded cluster with pg_basebackup, their list, and retention.</summary>
public static class ClusterBackups
{
    private const string PartialSuffix = ".partial";

    /// <summary>
    /// Takes a base backup of the running <paramref name="cluster"/> (online: writes go on) into
    /// <c>base/&lt;id&gt;/</c> as tar files with the WAL that makes it consistent, records its manifest, then keeps the
    /// <paramref name="keep"/> newest backups and removes archived WAL that the oldest kept one does not need.
    /// </summary>
    /// <param name="cluster">The running cluster.</param>
    /// <param name="keep">How many backups to keep (1 or more), or null to keep all.</param>
    /// <param name="timeProvider">The clock for the backup's id and times.</param>
    /// <param name="cancellationToken">Cancels the copy (its partial folder is left, and ignored by the list).</param>
    /// <returns>The backup, and what retention removed.</returns>
    public static async Task<BackupResult> BackupAsync(PostgresCluster cluster, int? keep, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Widgetify's local PostgreSQL runs on Linux and macOS only.");
        }

        if (keep is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(keep), keep, "Keep at least 1 backup.");
        }

        var location = cluster.Backups;
        var runner = ProcessRunner.Instance;
        await location.EnsureCreatedAsync(runner, cancellationToken);
        var warning = await CheckArchivingAsync(cluster, cancellationToken);

        var started = timeProvider.GetUtcNow();
        var id = NewId(location, started);
        var partial = Path.Combine(location.BaseDirectory, id + PartialSuffix);
        var (connInfo, environment) = BackupConnection.ForBaseBackup(cluster, "widgetify-backup");
        List<string> arguments =
        [
            "-D", partial,
            "-d", connInfo,
            // tar: two files (base.tar, pg_wal.tar) instead of thousands, copied and removed as a whole.
            "--format=tar",
            // The WAL written during the copy goes into the backup, so it restores on its own even without the archive.
            "--wal-method=stream",
            // The default spread checkpoint can make the copy wait minutes before it starts.
            "--checkpoint=fast",
            "--label", $"widgetify {id}",
            "--no-password",
        ];
        var result = await runner.RunServerCommandAsync(cluster.Binaries.PgBaseBackup, arguments, location.Root, environment, cancellationToken);
        if (!result.Succeeded)
        {
            var output = string.IsNullOrWhiteSpace(result.StandardError) ? result.StandardOutput : result.StandardError;
            TryDelete(partial);
            throw new InvalidOperationException(
                $"pg_basebackup could not back up the cluster in '{cluster.DataDirectory}' into '{partial}' (exit code {result.ExitCode}): {output.Trim()}");
        }

        var finished = timeProvider.GetUtcNow();
        var (timeline, startLsn, endLsn) = ReadWalRange(Path.Combine(partial, "backup_manifest"));
        var manifest = new BackupManifest(
            id,
            started,
            finished,
            startLsn,
            endLsn,
            timeline,
            WalPosition.FileName(timeline, startLsn),
            PostgresBinaries.ReadClusterVersion(cluster.Layout),
            Directory.EnumerateFiles(partial).Sum(file => new FileInfo(file).Length));
        await File.WriteAllTextAsync(Path.Combine(partial, BackupManifest.FileName), JsonSerializer.Serialize(manifest, BackupJsonContext.Default.BackupManifest), cancellationToken);
        // Only a complete backup carries its id as its name: the list never offers one a crash cut short.
        var folder = Path.Combine(location.BaseDirectory, id);
        Directory.Move(partial, folder);

        var (removed, removedWal) = keep is { } count
            ? await ApplyRetentionAsync(cluster.Binaries, location, count, cancellationToken)
            : ([], 0);
        return new BackupResult(manifest with { Folder = folder }, removed, removedWal, warning);
    }

    /// <summary>The complete backups in <paramref name="location"/>, newest first.</summary>
    /// <param name="location">The backup folder.</param>
    /// <returns>Their manifests; an unreadable one is skipped.</returns>
    public static IReadOnlyList<BackupManifest> List(BackupLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!Directory.Exists(location.BaseDirectory))
        {
            return [];
        }

        List<BackupManifest> backups = [];
        foreach (var folder in Directory.EnumerateDirectories(location.BaseDirectory).Where(f => !f.EndsWith(PartialSuffix, StringComparison.Ordinal)))
        {
            var file = Path.Combine(folder, BackupManifest.FileName);
            try
            {
                if (File.Exists(file) && JsonSerializer.Deserialize(File.ReadAllText(file), BackupJsonContext.Default.BackupManifest) is { } manifest)
                {
                    backups.Add(manifest with { Folder = folder });
                }
            }
            catch (JsonException)
            {
                // A manifest edited by hand into nonsense: that backup is not offered, the others are.
            }
        }

        return [.. backups.OrderByDescending(b => b.FinishedAt)];
    }

    /// <summary>
    /// Removes all but the <paramref name="keep"/> newest backups, then every archived WAL segment older than the oldest
    /// kept backup's start (pg_archivecleanup); timeline history files stay, restores across timelines need them.
    /// </summary>
    internal static async Task<(IReadOnlyList<BackupManifest> Removed, int RemovedWalFiles)> ApplyRetentionAsync(
        PostgresBinaries binaries, BackupLocation location, int keep, CancellationToken cancellationToken)
    {
        var backups = List(location);
        if (backups.Count == 0)
        {
            return ([], 0);
        }

        var removed = backups.Skip(keep).Reverse().ToList();
        foreach (var backup in removed)
        {
            Directory.Delete(backup.Folder, recursive: true);
        }

        var oldestKept = backups.Take(keep).Last();
        // Counted as the files present before that are gone after, not as a difference of counts: the archiver keeps adding
        // segments meanwhile (the backup just taken ends with a WAL switch), and one added would cancel one removed.
        var before = Directory.GetFiles(location.WalDirectory);
        var result = await ProcessRunner.Instance.RunServerCommandAsync(
            binaries.PgArchiveCleanup, [location.WalDirectory, oldestKept.StartWalFile], location.Root, cancellationToken);
        ProcessRunner.EnsureSuccess(result);
        return (removed, before.Count(file => !File.Exists(file)));
    }

    private static async Task<string?> CheckArchivingAsync(PostgresCluster cluster, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(BackupConnection.Administration(cluster));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT current_setting('archive_mode'), current_setting('archive_command')", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var mode = reader.GetString(0);
        var archiveCommand = reader.GetString(1);
        if (mode == "off")
        {
            return "WAL archiving is off on the running server (it was started before archiving existed): this backup restores to its own end " +
                "only, not to a later time, until './widgetify up' is restarted.";
        }

        return archiveCommand.Contains(cluster.Backups.WalDirectory, StringComparison.Ordinal)
            ? null
            : $"The running server archives WAL elsewhere than '{cluster.Backups.WalDirectory}' ({archiveCommand}); restart './widgetify up' to archive beside this backup.";
    }

    private static string NewId(BackupLocation location, DateTimeOffset started)
    {
        var id = started.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var candidate = id;
        for (var n = 2; Directory.Exists(Path.Combine(location.BaseDirectory, candidate)) || Directory.Exists(Path.Combine(location.BaseDirectory, candidate + PartialSuffix)); n++)
        {
            candidate = string.Create(CultureInfo.InvariantCulture, $"{id}-{n}");
        }

        return candidate;
    }

    /// <summary>Timeline and LSNs from pg_basebackup's own backup_manifest (PostgreSQL 13 and later).</summary>
    private static (int Timeline, string StartLsn, string EndLsn) ReadWalRange(string backupManifest)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(backupManifest));
        var range = document.RootElement.GetProperty("WAL-Ranges")[0];
        return (range.GetProperty("Timeline").GetInt32(), range.GetProperty("Start-LSN").GetString()!, range.GetProperty("End-LSN").GetString()!);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next backup to ignore (its name ends in .partial); the failure above is what matters.
        }
    }
}
