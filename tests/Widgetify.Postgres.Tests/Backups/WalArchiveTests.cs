using Widgetify.Postgres.Backups;

namespace Widgetify.Postgres.Tests.Backups;

public sealed class WalArchiveTests
{
    [Fact]
    public async Task StartAsync_NewCluster_ArchivesSwitchedSegmentIntoBackupFolder()
    {
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());

        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SHOW archive_mode")).ShouldBe("on");
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SHOW archive_timeout")).ShouldBe("1min");
        var segment = await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT pg_walfile_name(pg_switch_wal())");

        var archived = Path.Combine(directory.Path, "backups", "wal", segment!);
        cluster.Backups.WalDirectory.ShouldBe(Path.Combine(directory.Path, "backups", "wal"));
        await BoundedWait.UntilAsync(
            () => File.Exists(archived), () => string.Join(", ", Directory.GetFiles(cluster.Backups.WalDirectory)), $"{segment} is archived", TimeSpan.FromSeconds(30));
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT failed_count FROM pg_stat_archiver")).ShouldBe("0");
    }

    [Fact]
    public async Task StartAsync_ConfiguredBackupDirectory_IsRecordedForLaterStarts()
    {
        await using var directory = new TempClusterDirectory();
        var elsewhere = Path.Combine(directory.Path, "elsewhere");
        var options = directory.Options();
        options.BackupDirectory = elsewhere;
        await using (var first = await PostgresCluster.StartAsync(options))
        {
            first.Backups.Root.ShouldBe(elsewhere);
        }

        await using var second = await PostgresCluster.StartAsync(directory.Options());

        second.Backups.Root.ShouldBe(elsewhere);
        (await Sql.ScalarAsync(second.AdminConnectionString, "SHOW archive_command") ?? "").ShouldContain(Path.Combine(elsewhere, "wal"));
    }

    [Fact]
    public async Task Command_SegmentAlreadyArchived_AcceptsSameBytesAndRefusesDifferentOnes()
    {
        var folder = Directory.CreateTempSubdirectory("widgetify-archive-test-").FullName;
        try
        {
            var archive = Path.Combine(folder, "it's %wal");
            Directory.CreateDirectory(archive);
            var segment = Path.Combine(folder, "000000010000000000000001");
            await File.WriteAllTextAsync(segment, "first");

            (await RunAsync(WalArchive.Command(archive, durable: true), segment, folder)).ShouldBe(0);
            (await RunAsync(WalArchive.Command(archive, durable: true), segment, folder)).ShouldBe(0, "the same bytes again are already archived");
            await File.WriteAllTextAsync(segment, "other");
            (await RunAsync(WalArchive.Command(archive, durable: true), segment, folder)).ShouldNotBe(0, "a different segment under the same name is refused");

            (await File.ReadAllTextAsync(Path.Combine(archive, "000000010000000000000001"))).ShouldBe("first");
            Directory.GetFiles(archive).Length.ShouldBe(1);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs the command as the server would: %p and %f replaced, '%%' made '%', through /bin/sh.</summary>
    private static async Task<int> RunAsync(string command, string segmentPath, string workingDirectory)
    {
        var expanded = command.Replace("%p", segmentPath, StringComparison.Ordinal).Replace("%f", Path.GetFileName(segmentPath), StringComparison.Ordinal)
            .Replace("%%", "%", StringComparison.Ordinal);
        var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", expanded], workingDirectory, CancellationToken.None);
        return result.ExitCode;
    }
}
