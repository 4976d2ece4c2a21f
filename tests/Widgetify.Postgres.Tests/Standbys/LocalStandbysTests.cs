using System.Diagnostics;
using System.Globalization;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Postgres.Tests.Standbys;

public sealed class LocalStandbysTests
{
    [Fact]
    public async Task EnsureAsync_AfterStopAndPrimaryRestartOnAnotherPort_ReusesStandbyWithoutBaseBackup()
    {
        await using var directory = new TempClusterDirectory();
        var primary = await PostgresCluster.StartAsync(directory.Options());
        string marker;
        await using (var first = new LocalStandbys(primary, StandbyTesting.Bounded()))
        {
            var outcome = await first.EnsureAsync(1);
            outcome.Failures.ShouldBeEmpty();
            outcome.Streaming.Single().CreatedNow.ShouldBeTrue();
            // A new base backup would replace the whole PGDATA, and this file with it.
            marker = Path.Combine(outcome.Streaming[0].DataDirectory, "pg", "reuse-marker");
            await File.WriteAllTextAsync(marker, "made by the first base backup");
            await first.StopAllAsync();
            File.Exists(Path.Combine(outcome.Streaming[0].DataDirectory, "pg", "postmaster.pid")).ShouldBeFalse();
        }

        // As the next 'up' does: the primary comes back on another free port, the standby must follow it there.
        await primary.StopAsync();
        await using var restarted = await PostgresCluster.StartAsync(directory.Options());
        await using var second = new LocalStandbys(restarted, StandbyTesting.Bounded());

        var reused = await second.EnsureAsync(1);

        reused.Failures.ShouldBeEmpty();
        var standby = reused.Streaming.ShouldHaveSingleItem();
        standby.Name.ShouldBe("standby-1");
        standby.CreatedNow.ShouldBeFalse();
        File.Exists(marker).ShouldBeTrue();
        await Sql.ExecuteAsync(restarted.MigrationConnectionString, "CREATE TABLE after_restart (id int); INSERT INTO after_restart VALUES (1)");
        await StandbyTesting.WaitUntilReplayedAsync(restarted, standby.AppConnectionString);
        (await Sql.ScalarAsync(standby.AppConnectionString, "SELECT count(*) FROM after_restart")).ShouldBe("1");
    }

    [Fact]
    public async Task EnsureAsync_SlotsRunOut_ReportsMaxReplicationSlotsAndKeepsTheOthers()
    {
        await using var directory = new TempClusterDirectory();
        await using var primary = await StandbyTesting.StartPrimaryAsync(directory, ("max_replication_slots", "1"));
        await using var standbys = new LocalStandbys(primary, StandbyTesting.Bounded());

        var outcome = await standbys.EnsureAsync(2);

        outcome.Streaming.ShouldHaveSingleItem().Name.ShouldBe("standby-1");
        var failure = outcome.Failures.ShouldHaveSingleItem();
        failure.Name.ShouldBe("standby-2");
        failure.Reason.ShouldContain("the primary's max_replication_slots is 1 with 1 in use");
        Directory.Exists(Path.Combine(standbys.StandbysDirectory, "standby-2")).ShouldBeFalse();
        (await Sql.ScalarAsync(primary.AppConnectionString, "SELECT 1")).ShouldBe("1");
    }

    [Fact]
    public async Task EnsureAsync_AfterKill9OfStandby_StartsItAgain()
    {
        await using var directory = new TempClusterDirectory();
        await using var primary = await StandbyTesting.StartPrimaryAsync(directory);
        await using var standbys = new LocalStandbys(primary, StandbyTesting.Bounded());
        var standby = (await standbys.EnsureAsync(1)).Streaming.Single();
        var killed = StandbyTesting.ReadPostmasterPid(standby);

        using (var kill = Process.Start("kill", ["-KILL", killed.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await BoundedWait.UntilAsync(() => !ProcessInspector.IsAlive(killed), () => $"pid {killed} alive", "the standby's postmaster dies");

        var outcome = await standbys.EnsureAsync(1);

        outcome.Failures.ShouldBeEmpty();
        var restarted = outcome.Streaming.ShouldHaveSingleItem();
        restarted.Name.ShouldBe("standby-1");
        restarted.CreatedNow.ShouldBeFalse();
        StandbyTesting.ReadPostmasterPid(restarted).ShouldNotBe(killed);
        (await Sql.ScalarAsync(restarted.AppConnectionString, "SELECT pg_is_in_recovery()::text")).ShouldBe("true");
    }

    [Fact]
    public async Task RemoveAsyncAddAsyncEnsureAsync_ScaleInAndOut_DropSlotsAndReuseNumbers()
    {
        await using var directory = new TempClusterDirectory();
        await using var primary = await StandbyTesting.StartPrimaryAsync(directory);
        await using var standbys = new LocalStandbys(primary, StandbyTesting.Bounded());
        (await standbys.EnsureAsync(2)).Streaming.Select(standby => standby.Name).ShouldBe(["standby-1", "standby-2"]);

        await standbys.RemoveAsync("standby-2");

        Directory.Exists(Path.Combine(standbys.StandbysDirectory, "standby-2")).ShouldBeFalse();
        (await SlotNamesAsync(primary)).ShouldBe("widgetify_standby_1");
        standbys.Standbys.Select(standby => standby.Name).ShouldBe(["standby-1"]);

        var added = await standbys.AddAsync();

        added.Name.ShouldBe("standby-2");
        added.CreatedNow.ShouldBeTrue();
        (await SlotNamesAsync(primary)).ShouldBe("widgetify_standby_1,widgetify_standby_2");

        // A slot whose standby folder is gone only holds WAL back; fewer standbys than on disk removes the highest.
        await Sql.ExecuteAsync(primary.AdminConnectionString, "SELECT pg_create_physical_replication_slot('widgetify_standby_7')");
        var outcome = await standbys.EnsureAsync(1);

        outcome.Removed.ShouldBe(["standby-2"]);
        outcome.Streaming.Select(standby => standby.Name).ShouldBe(["standby-1"]);
        (await SlotNamesAsync(primary)).ShouldBe("widgetify_standby_1");
        Directory.Exists(Path.Combine(standbys.StandbysDirectory, "standby-2")).ShouldBeFalse();
    }

    [Fact]
    public async Task AddAsync_PrimaryWithoutWalSenders_ThrowsNamingMaxWalSenders()
    {
        await using var directory = new TempClusterDirectory();
        await using var primary = await StandbyTesting.StartPrimaryAsync(directory, ("max_wal_senders", "0"));
        await using var standbys = new LocalStandbys(primary, StandbyTesting.Bounded());

        var error = await Should.ThrowAsync<StandbyException>(() => standbys.AddAsync());

        error.Message.ShouldContain("max_wal_senders is 0");
        standbys.Standbys.ShouldBeEmpty();
        (await Sql.ScalarAsync(primary.AppConnectionString, "SELECT 1")).ShouldBe("1");
    }

    private static Task<string?> SlotNamesAsync(PostgresCluster primary) =>
        Sql.ScalarAsync(primary.AdminConnectionString, "SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots");
}
