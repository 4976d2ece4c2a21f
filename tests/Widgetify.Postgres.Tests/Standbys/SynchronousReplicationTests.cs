using Npgsql;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Postgres.Tests.Standbys;

/// <summary>Synchronous replication kept in step with the standbys: commits wait for one that streams, and a standby that
/// is gone leaves the names so commits stop waiting for it. Real servers.</summary>
public sealed class SynchronousReplicationTests
{
    [Fact]
    public async Task Synchronous_CommitsWaitForTheStandby_AndStopWaitingOnceItIsGoneFromTheNames()
    {
        // Arrange
        await using var root = new TempClusterDirectory();
        var primary = await StandbyTesting.StartPrimaryAsync(root);
        var options = StandbyTesting.Bounded();
        options.Synchronous = true;
        await using var standbys = new LocalStandbys(primary, options);
        try
        {
            (await standbys.EnsureAsync(1)).Streaming.Count.ShouldBe(1);

            // Assert: named, and the app's sessions commit with remote_apply.
            (await Sql.ScalarAsync(primary.AdminConnectionString, "SHOW synchronous_standby_names")).ShouldBe("ANY 1 (\"standby-1\")");
            (await Sql.ScalarAsync(primary.AppConnectionString, "SHOW synchronous_commit")).ShouldBe("remote_apply");
            await Sql.ExecuteAsync(primary.MigrationConnectionString, "CREATE TABLE t (id int)");

            // Act: the standby stops; a commit now waits for it.
            await standbys.Standbys[0].StopAsync();
            await using var writer = new NpgsqlConnection(primary.AppConnectionString);
            await writer.OpenAsync();
            var pid = writer.ProcessID;
            await using var insert = new NpgsqlCommand("INSERT INTO t VALUES (1)", writer);
            var committing = insert.ExecuteNonQueryAsync();
            await BoundedWait.UntilAsync(
                async () => await Sql.ScalarAsync(primary.AdminConnectionString, $"SELECT wait_event FROM pg_stat_activity WHERE pid = {pid}") == "SyncRep",
                () => "not waiting", "the commit waits for the synchronous standby");
            committing.IsCompleted.ShouldBeFalse();

            // Act: the names follow the standbys that run (as the supervisor does at each check).
            var names = await standbys.ReconcileSynchronousNamesAsync();

            // Assert: no standby left to wait for, so the commit completes.
            names.ShouldBe("");
            (await committing).ShouldBe(1);
        }
        finally
        {
            await standbys.StopAllAsync();
            await primary.StopAsync();
        }
    }

    [Fact]
    public async Task Synchronous_ScaleInOneByOne_NamesFollowEachRemoval_AndLaterCommitsComplete()
    {
        // Arrange: two synchronous standbys.
        await using var root = new TempClusterDirectory();
        var primary = await StandbyTesting.StartPrimaryAsync(root);
        var options = StandbyTesting.Bounded();
        options.Synchronous = true;
        await using var standbys = new LocalStandbys(primary, options);
        try
        {
            (await standbys.EnsureAsync(2)).Streaming.Count.ShouldBe(2);
            (await Sql.ScalarAsync(primary.AdminConnectionString, "SHOW synchronous_standby_names")).ShouldBe("ANY 1 (\"standby-1\", \"standby-2\")");
            await Sql.ExecuteAsync(primary.MigrationConnectionString, "CREATE TABLE t (id int)");

            // Act: scale in by one, then to none (as the autoscaler's provider does), committing after each.
            await standbys.RemoveAsync("standby-2");
            await NamesBecomeAsync(primary, "ANY 1 (\"standby-1\")");
            await Sql.ExecuteAsync(primary.AppConnectionString, "INSERT INTO t VALUES (1)").WaitAsync(TimeSpan.FromMinutes(1)); // a commit waiting for a gone standby would never end
            await standbys.RemoveAsync("standby-1");
            await NamesBecomeAsync(primary, "");
            await Sql.ExecuteAsync(primary.AppConnectionString, "INSERT INTO t VALUES (2)").WaitAsync(TimeSpan.FromMinutes(1));

            // Assert: the names followed each removal (checked above), and no commit waited for a standby that was gone.
            // Which came first inside RemoveAsync (the names or the stop) this cannot see: either order ends with the
            // same names and the same commits, hence the test's name.
            (await Sql.ScalarAsync(primary.AppConnectionString, "SELECT count(*) FROM t")).ShouldBe("2");
        }
        finally
        {
            await standbys.StopAllAsync();
            await primary.StopAsync();
        }
    }

    /// <summary>Waits until new sessions see <paramref name="expected"/>: the reload that sets it is applied by the
    /// postmaster asynchronously.</summary>
    private static Task NamesBecomeAsync(PostgresCluster primary, string expected) =>
        BoundedWait.UntilAsync(
            async () => await Sql.ScalarAsync(primary.AdminConnectionString, "SHOW synchronous_standby_names") == expected,
            () => $"synchronous_standby_names is not '{expected}'", $"the names become '{expected}'");
}
