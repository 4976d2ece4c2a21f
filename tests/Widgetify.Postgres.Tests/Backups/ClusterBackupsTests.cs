using Microsoft.Extensions.Time.Testing;
using Widgetify.Postgres.Backups;

namespace Widgetify.Postgres.Tests.Backups;

public sealed class ClusterBackupsTests
{
    [Fact]
    public async Task BackupAsync_RunningCluster_WritesTarsAndManifestWithStartLsn()
    {
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));

        var result = await ClusterBackups.BackupAsync(cluster, keep: null, time, CancellationToken.None);

        result.Backup.Id.ShouldBe("20261206T100000Z");
        result.Backup.Timeline.ShouldBe(1);
        result.Backup.StartWalFile.ShouldBe(WalPosition.FileName(1, result.Backup.StartLsn));
        result.Warning.ShouldBeNull();
        File.Exists(Path.Combine(result.Backup.Folder, "base.tar")).ShouldBeTrue();
        File.Exists(Path.Combine(result.Backup.Folder, "pg_wal.tar")).ShouldBeTrue();
        ClusterBackups.List(cluster.Backups).Select(b => (b.Id, b.StartLsn)).ShouldBe([(result.Backup.Id, result.Backup.StartLsn)]);
        // The LSN pg_walfile_name names is the one the manifest derives its first WAL file from.
        (await Sql.ScalarAsync(cluster.AdminConnectionString, $"SELECT pg_walfile_name('{result.Backup.StartLsn}')")).ShouldBe(result.Backup.StartWalFile);
    }

    [Fact]
    public async Task BackupAsync_Keep2_RemovesOldestBackupAndTheWalOnlyItNeeded()
    {
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));

        var first = await ClusterBackups.BackupAsync(cluster, keep: 2, time, CancellationToken.None);
        await ArchiveThroughAsync(cluster, first.Backup.StartWalFile);
        time.Advance(TimeSpan.FromMinutes(1));
        var second = await ClusterBackups.BackupAsync(cluster, keep: 2, time, CancellationToken.None);
        await ArchiveThroughAsync(cluster, second.Backup.StartWalFile);
        time.Advance(TimeSpan.FromMinutes(1));
        var third = await ClusterBackups.BackupAsync(cluster, keep: 2, time, CancellationToken.None);

        third.Removed.Select(b => b.Id).ShouldBe([first.Backup.Id]);
        ClusterBackups.List(cluster.Backups).Select(b => b.Id).ShouldBe([third.Backup.Id, second.Backup.Id]);
        Directory.Exists(first.Backup.Folder).ShouldBeFalse();
        third.RemovedWalFiles.ShouldBeGreaterThan(0);
        File.Exists(Path.Combine(cluster.Backups.WalDirectory, first.Backup.StartWalFile)).ShouldBeFalse();
        File.Exists(Path.Combine(cluster.Backups.WalDirectory, second.Backup.StartWalFile)).ShouldBeTrue();
    }

    /// <summary>Waits until the archive holds <paramref name="walFile"/> (the archiver works in the background).</summary>
    internal static Task ArchiveThroughAsync(PostgresCluster cluster, string walFile) =>
        BoundedWait.UntilAsync(
            () => File.Exists(Path.Combine(cluster.Backups.WalDirectory, walFile)),
            () => string.Join(", ", Directory.GetFiles(cluster.Backups.WalDirectory).Select(Path.GetFileName)),
            $"{walFile} is archived",
            TimeSpan.FromSeconds(30));
}
