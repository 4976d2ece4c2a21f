using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Postgres.Backups;

namespace Widgetify.Postgres.Tests.Backups;

public sealed class ClusterRestoreTests
{
    [Fact]
    public async Task RestoreAsync_ToTime_RecoversExactlyTheRowsCommittedBeforeIt()
    {
        await using var directory = new TempClusterDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-1));
        DateTimeOffset target;
        BackupManifest backup;
        await using (var cluster = await PostgresCluster.StartAsync(directory.Options()))
        {
            await Sql.ExecuteAsync(cluster.MigrationConnectionString, "CREATE TABLE ledger (id int PRIMARY KEY)"); // as the owner: the app role may not create
            await InsertAsync(cluster, 1, 10);
            backup = (await ClusterBackups.BackupAsync(cluster, keep: null, time, CancellationToken.None)).Backup;
            await InsertAsync(cluster, 11, 15);
            // The server's own clock, read after row 15's commit and before row 16's: the commit times are on the same clock.
            target = DateTimeOffset.Parse(
                (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"))!,
                CultureInfo.InvariantCulture);
            await InsertAsync(cluster, 16, 20);
            var segment = await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT pg_walfile_name(pg_switch_wal())");
            await ClusterBackupsTests.ArchiveThroughAsync(cluster, segment!);
        }

        time.SetUtcNow(target.AddSeconds(1));
        var result = await ClusterRestore.RestoreAsync(
            new RestoreOptions { DataDirectory = directory.Path, Target = target, Durable = false, TimeProvider = time });

        result.Backup.Id.ShouldBe(backup.Id);
        result.ReachedTarget.ShouldBeTrue();
        result.Timeline.ShouldBe(2);
        result.LastReplayedTransaction.ShouldNotBeNull().ShouldBeLessThanOrEqualTo(target);
        Directory.Exists(Path.Combine(result.MovedAsideTo!, "pg")).ShouldBeTrue("the cluster before the restore is kept");
        await using var restored = await PostgresCluster.StartAsync(directory.Options());
        (await Sql.ScalarAsync(restored.AppConnectionString, "SELECT string_agg(id::text, ',' ORDER BY id) FROM ledger"))
            .ShouldBe("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15");
    }

    [Fact]
    public async Task RestoreAsync_Latest_RecoversWalTheArchiveDidNotHaveYet()
    {
        await using var directory = new TempClusterDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using (var cluster = await PostgresCluster.StartAsync(directory.Options()))
        {
            await Sql.ExecuteAsync(cluster.MigrationConnectionString, "CREATE TABLE ledger (id int PRIMARY KEY)"); // as the owner: the app role may not create
            await ClusterBackups.BackupAsync(cluster, keep: null, time, CancellationToken.None);
            // No WAL switch: these rows are only in the old pg_wal when the server stops.
            await InsertAsync(cluster, 1, 5);
        }

        var result = await ClusterRestore.RestoreAsync(new RestoreOptions { DataDirectory = directory.Path, Durable = false, TimeProvider = time });

        result.Target.ShouldBeNull();
        await using var restored = await PostgresCluster.StartAsync(directory.Options());
        (await Sql.ScalarAsync(restored.AppConnectionString, "SELECT count(*) FROM ledger")).ShouldBe("5");
    }

    [Fact]
    public async Task RestoreAsync_ServerRunning_RefusesSayingHowToStopIt()
    {
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());
        await ClusterBackups.BackupAsync(cluster, keep: null, TimeProvider.System, CancellationToken.None);

        var refused = await Should.ThrowAsync<RestoreRefusedException>(
            () => ClusterRestore.RestoreAsync(new RestoreOptions { DataDirectory = directory.Path, Durable = false }));

        refused.Message.ShouldContain("PostgreSQL is running");
        refused.Message.ShouldContain($"kill -TERM {Environment.ProcessId}");
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT 1")).ShouldBe("1");
        Directory.GetDirectories(directory.Path, "before-restore-*").ShouldBeEmpty();
    }

    [Fact]
    public async Task RestoreAsync_TargetInFutureOrBeforeOldestBackup_RefusesAndChangesNothing()
    {
        await using var directory = new TempClusterDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));
        await using (var cluster = await PostgresCluster.StartAsync(directory.Options()))
        {
            await ClusterBackups.BackupAsync(cluster, keep: null, time, CancellationToken.None);
        }

        var future = await Should.ThrowAsync<RestoreRefusedException>(() => ClusterRestore.RestoreAsync(
            new RestoreOptions { DataDirectory = directory.Path, Target = time.GetUtcNow().AddMinutes(5), Durable = false, TimeProvider = time }));
        var early = await Should.ThrowAsync<RestoreRefusedException>(() => ClusterRestore.RestoreAsync(
            new RestoreOptions { DataDirectory = directory.Path, Target = time.GetUtcNow().AddHours(-1), Durable = false, TimeProvider = time }));
        var unknown = await Should.ThrowAsync<RestoreRefusedException>(() => ClusterRestore.RestoreAsync(
            new RestoreOptions { DataDirectory = directory.Path, BackupId = "nope", Durable = false, TimeProvider = time }));

        future.Message.ShouldContain("is in the future");
        early.Message.ShouldContain("before the oldest backup (20261206T100000Z");
        unknown.Message.ShouldContain("There is no backup 'nope'");
        Directory.GetDirectories(directory.Path, "before-restore-*").ShouldBeEmpty();
        File.Exists(Path.Combine(directory.PgData, "PG_VERSION")).ShouldBeTrue();
    }

    private static async Task InsertAsync(PostgresCluster cluster, int from, int to)
    {
        for (var id = from; id <= to; id++)
        {
            await Sql.ExecuteAsync(cluster.AppConnectionString, $"INSERT INTO ledger VALUES ({id})");
        }
    }
}
