using System.Net;
using System.Net.Sockets;
using Npgsql;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Postgres.Tests.Standbys;

public sealed class PostgresStandbyTests
{
    [Fact]
    public async Task StartAsync_NewStandby_StreamsReplaysWritesAndRefusesThem()
    {
        await using var directory = new TempClusterDirectory();
        await using var primary = await PostgresCluster.StartAsync(directory.Options(maxConnections: 27));

        await using var standby = await PostgresStandby.StartAsync(primary, "standby-1", StandbyTesting.Bounded());
        await standby.WaitUntilStreamingAsync(TimeSpan.FromSeconds(60));

        standby.CreatedNow.ShouldBeTrue();
        standby.OwnsServer.ShouldBeTrue();
        standby.Port.ShouldNotBe(primary.Port);
        standby.DataDirectory.ShouldBe(Path.Combine(directory.Path, "standbys", "standby-1"));
        standby.SlotName.ShouldBe("widgetify_standby_1");
        File.Exists(Path.Combine(standby.DataDirectory, "pg", "standby.signal")).ShouldBeTrue();
        File.Exists(Path.Combine(directory.PgData, "standby.signal")).ShouldBeFalse();
        File.Exists(Path.Combine(standby.DataDirectory, "logs", "postgresql.log")).ShouldBeTrue();
        File.GetUnixFileMode(Path.Combine(standby.DataDirectory, "pg-credentials.json")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await Sql.ScalarAsync(primary.AdminConnectionString, "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'"))
            .ShouldBe("standby-1");

        await Sql.ExecuteAsync(primary.MigrationConnectionString, "CREATE TABLE marks (name text); INSERT INTO marks VALUES ('written on the primary')");
        await StandbyTesting.WaitUntilReplayedAsync(primary, standby.AppConnectionString);

        (await Sql.ScalarAsync(standby.AppConnectionString, "SELECT name FROM marks")).ShouldBe("written on the primary");
        (await Sql.ScalarAsync(standby.AppConnectionString, "SELECT pg_is_in_recovery()::text")).ShouldBe("true");
        var refused = await Should.ThrowAsync<PostgresException>(() => Sql.ExecuteAsync(standby.AppConnectionString, "INSERT INTO marks VALUES ('x')"));
        refused.SqlState.ShouldBe(PostgresErrorCodes.ReadOnlySqlTransaction);

        // Never lower than the primary's limits (a hot standby refuses to start otherwise); feedback on; fsync follows the primary.
        (await Sql.ScalarAsync(standby.AppConnectionString, "SHOW max_connections")).ShouldBe("27");
        (await Sql.ScalarAsync(standby.AppConnectionString, "SHOW hot_standby_feedback")).ShouldBe("on");
        (await Sql.ScalarAsync(standby.AppConnectionString, "SHOW fsync")).ShouldBe("off");
        (await Sql.ScalarAsync(primary.AdminConnectionString, "SHOW max_slot_wal_keep_size")).ShouldBe("1GB");
    }

    [Fact]
    public async Task RemoveAsync_StreamingStandby_DropsSlotAndDeletesFolder()
    {
        await using var directory = new TempClusterDirectory();
        await using var primary = await StandbyTesting.StartPrimaryAsync(directory);
        var standby = await PostgresStandby.StartAsync(primary, "standby-1", StandbyTesting.Bounded());
        await standby.WaitUntilStreamingAsync(TimeSpan.FromSeconds(60));
        var postmasterPid = StandbyTesting.ReadPostmasterPid(standby);

        await standby.RemoveAsync();

        Directory.Exists(standby.DataDirectory).ShouldBeFalse();
        ProcessInspector.IsAlive(postmasterPid).ShouldBeFalse();
        (await Sql.ScalarAsync(primary.AdminConnectionString, "SELECT count(*) FROM pg_replication_slots")).ShouldBe("0");
        (await Sql.ScalarAsync(primary.AppConnectionString, "SELECT 1")).ShouldBe("1");
    }

    [Fact]
    public async Task StartAsync_FixedPortInUse_ThrowsNamingThePortAndLeavesNothing()
    {
        await using var directory = new TempClusterDirectory();
        await using var primary = await StandbyTesting.StartPrimaryAsync(directory);
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var options = StandbyTesting.Bounded();
        options.Port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var error = await Should.ThrowAsync<StandbyException>(() => PostgresStandby.StartAsync(primary, "standby-1", options));

        error.StandbyName.ShouldBe("standby-1");
        error.Message.ShouldContain($"port {options.Port} on 127.0.0.1 is in use");
        Directory.Exists(Path.Combine(directory.Path, "standbys", "standby-1")).ShouldBeFalse();
        (await Sql.ScalarAsync(primary.AdminConnectionString, "SELECT count(*) FROM pg_replication_slots")).ShouldBe("0");
    }

    [Fact]
    public async Task StartAsync_PrimaryWithOneWalSender_ThrowsNamingMaxWalSendersAndPrimaryKeepsRunning()
    {
        await using var directory = new TempClusterDirectory();
        await using var primary = await StandbyTesting.StartPrimaryAsync(directory, ("max_wal_senders", "1"));

        var error = await Should.ThrowAsync<StandbyException>(() => PostgresStandby.StartAsync(primary, "standby-1", StandbyTesting.Bounded()));

        error.Message.ShouldContain("the primary's max_wal_senders is 1 with 0 in use");
        error.Message.ShouldContain("raise max_wal_senders");
        (await Sql.ScalarAsync(primary.AppConnectionString, "SELECT 1")).ShouldBe("1");
        Directory.Exists(Path.Combine(directory.Path, "standbys", "standby-1")).ShouldBeFalse();
    }
}
