using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Postgres.Supervision;

namespace Widgetify.Postgres.Tests.Supervision;

/// <summary>The supervisor against real servers killed with SIGKILL, as the OOM killer or an operator's kill -9 does.
/// Its checks run when the test calls them (on a fake clock), so the only waiting is PostgreSQL's own start.</summary>
public sealed class ServerSupervisorTests
{
    [Fact]
    public async Task Check_PostmasterKilled_RestartsOnTheSamePortAndSaysSo()
    {
        // Arrange
        await using var root = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(root.Options());
        var port = cluster.Port;
        var killed = cluster.Server.PostmasterPid;
        var supervisor = new ServerSupervisor(cluster, standbys: null, new FakeTimeProvider(), NullLogger.Instance);
        var events = new List<SupervisionEvent>();
        supervisor.Acted += events.Add;
        Kill(killed);

        // Act
        await supervisor.CheckOnceAsync(CancellationToken.None);

        // Assert: same port, a new postmaster, logins accepted, one event naming what happened.
        cluster.Port.ShouldBe(port);
        cluster.Server.PostmasterPid.ShouldNotBe(killed);
        cluster.Server.IsRunning.ShouldBeTrue();
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT 1")).ShouldBe("1");
        var restarted = events.ShouldHaveSingleItem();
        restarted.Action.ShouldBe("Restarted");
        restarted.Message.ShouldContain($"postmaster pid {killed} gone");
    }

    [Fact]
    public async Task Check_PostmasterKilledUnderABusyBackend_KillsTheOrphanAndRestarts()
    {
        // Arrange: a backend busy in a CPU-bound query does not notice its postmaster's death, and keeps the shared
        // memory a new postmaster refuses to start beside.
        await using var root = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(root.Options());
        await using var busy = new NpgsqlConnection(cluster.AppConnectionString);
        await busy.OpenAsync();
        var backend = busy.ProcessID;
        using var query = new NpgsqlCommand("SELECT count(*) FROM generate_series(1, 100000000000)", busy) { CommandTimeout = 0 };
        var running = query.ExecuteScalarAsync();
        await BoundedWait.UntilAsync(
            async () => await Sql.ScalarAsync(cluster.AdminConnectionString, $"SELECT state FROM pg_stat_activity WHERE pid = {backend}") == "active",
            () => "the query did not start", "the backend is busy");
        var supervisor = new ServerSupervisor(cluster, standbys: null, new FakeTimeProvider(), NullLogger.Instance);
        Kill(cluster.Server.PostmasterPid);

        // Act
        await supervisor.CheckOnceAsync(CancellationToken.None);

        // Assert
        cluster.Server.IsRunning.ShouldBeTrue();
        IsAlive(backend).ShouldBeFalse();
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT 1")).ShouldBe("1");
        await Should.ThrowAsync<Exception>(() => running);
    }

    [Fact]
    public async Task Check_KilledAgainSoon_WaitsTheBackoffBeforeTheNextRestart()
    {
        // Arrange: one crash, restarted at once.
        await using var root = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(root.Options());
        var clock = new FakeTimeProvider();
        var supervisor = new ServerSupervisor(cluster, standbys: null, clock, NullLogger.Instance);
        Kill(cluster.Server.PostmasterPid);
        await supervisor.CheckOnceAsync(CancellationToken.None);
        cluster.Server.IsRunning.ShouldBeTrue();

        // Act: it dies again at once; the next check comes before the backoff is over.
        Kill(cluster.Server.PostmasterPid);
        await supervisor.CheckOnceAsync(CancellationToken.None);

        // Assert: left down for now.
        cluster.Server.IsRunning.ShouldBeFalse();

        // Act: the backoff has passed.
        clock.Advance(ServerSupervisor.Backoff(1));
        await supervisor.CheckOnceAsync(CancellationToken.None);

        // Assert
        cluster.Server.IsRunning.ShouldBeTrue();
    }

    [Fact]
    public async Task Check_RestartedByHand_AdoptsItAndStopsItWithTheRest()
    {
        // Arrange: killed, then started again by an operator with pg_ctl on the same port before the supervisor looked.
        await using var root = new TempClusterDirectory();
        var cluster = await PostgresCluster.StartAsync(root.Options());
        var supervisor = new ServerSupervisor(cluster, standbys: null, new FakeTimeProvider(), NullLogger.Instance);
        var events = new List<SupervisionEvent>();
        supervisor.Acted += events.Add;
        Kill(cluster.Server.PostmasterPid);
        await WaitUntilGoneAsync(root.PgData);
        File.Delete(root.PostmasterPidFile);
        await new ServerController(cluster.Binaries, cluster.Layout, ProcessRunner.Instance).StartAsync(cluster.Port, root.Options(), CancellationToken.None);
        var byHand = PostmasterPidFile.TryRead(root.PostmasterPidFile)!.Pid;

        // Act
        await supervisor.CheckOnceAsync(CancellationToken.None);

        // Assert: adopted, not started twice; stopping the cluster stops the adopted server.
        events.ShouldHaveSingleItem().Action.ShouldBe("Adopted");
        cluster.Server.PostmasterPid.ShouldBe(byHand);
        await cluster.StopAsync();
        IsAlive(byHand).ShouldBeFalse();
    }

    [Fact]
    public async Task Check_ServerBeingStopped_IsLeftDown()
    {
        // Arrange
        await using var root = new TempClusterDirectory();
        var cluster = await PostgresCluster.StartAsync(root.Options());
        var supervisor = new ServerSupervisor(cluster, standbys: null, new FakeTimeProvider(), NullLogger.Instance);
        await cluster.StopAsync();

        // Act
        await supervisor.CheckOnceAsync(CancellationToken.None);

        // Assert
        cluster.Server.IsRunning.ShouldBeFalse();
    }

    [Fact]
    public void Backoff_GrowsWithRecentRestartsUpToAMinute()
    {
        // Assert: the first crash is restarted at once (the 5 s goal), a loop slows down.
        ServerSupervisor.Backoff(0).ShouldBe(TimeSpan.Zero);
        ServerSupervisor.Backoff(1).ShouldBe(TimeSpan.FromSeconds(1));
        ServerSupervisor.Backoff(3).ShouldBe(TimeSpan.FromSeconds(4));
        ServerSupervisor.Backoff(40).ShouldBe(ServerSupervisor.MaxBackoff);
    }

    private static void Kill(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill();
        process.WaitForExit();
    }

    private static bool IsAlive(int pid) => ProcessInspector.IsAlive(pid);

    /// <summary>Waits until no postgres process works in <paramref name="pgData"/> (its backends notice the postmaster's
    /// death and exit), so a start by hand can succeed.</summary>
    private static Task WaitUntilGoneAsync(string pgData) =>
        BoundedWait.UntilAsync(() => ProcessInspector.ServerProcessesIn(pgData).Count == 0, () => "server processes remain", "the old server's processes are gone");
}
