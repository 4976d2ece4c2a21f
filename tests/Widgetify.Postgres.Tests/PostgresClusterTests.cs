using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Widgetify.Postgres.Tests;

[UnsupportedOSPlatform("windows")]
public sealed class PostgresClusterTests
{
    [Fact]
    public async Task StartAsync_EmptyDirectory_CreatesClusterWithNonSuperuserAppRole()
    {
        await using var directory = new TempClusterDirectory();
        var options = directory.Options(maxConnections: 23);
        options.Settings["work_mem"] = "5MB";

        await using var cluster = await PostgresCluster.StartAsync(options);

        cluster.CreatedNow.ShouldBeTrue();
        cluster.OwnsServer.ShouldBeTrue();
        cluster.DataDirectory.ShouldBe(directory.Path);
        cluster.Port.ShouldBeGreaterThan(0);
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT current_user")).ShouldBe("widgetify");
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT current_database()")).ShouldBe("widgetify");
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user")).ShouldBe("false");
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SHOW max_connections")).ShouldBe("23");
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SHOW work_mem")).ShouldBe("5MB");
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SHOW fsync")).ShouldBe("off");
        (await Sql.ScalarAsync(cluster.AdminConnectionString, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user")).ShouldBe("true");
        ReadOwnerPid(directory).ShouldBe(Environment.ProcessId);
    }

    [Fact]
    public async Task StartAsync_AfterStop_ReusesClusterAndKeepsData()
    {
        await using var directory = new TempClusterDirectory();
        await using (var first = await PostgresCluster.StartAsync(directory.Options()))
        {
            await Sql.ExecuteAsync(first.MigrationConnectionString, "CREATE TABLE widgets (name text)");
            await Sql.ExecuteAsync(first.AppConnectionString, "INSERT INTO widgets VALUES ('sprocket')");
        }

        File.Exists(directory.PostmasterPidFile).ShouldBeFalse();
        File.Exists(directory.OwnerPidFile).ShouldBeFalse();

        await using var second = await PostgresCluster.StartAsync(directory.Options());

        second.CreatedNow.ShouldBeFalse();
        second.OwnsServer.ShouldBeTrue();
        (await Sql.ScalarAsync(second.AppConnectionString, "SELECT name FROM widgets")).ShouldBe("sprocket");
    }

    [Fact]
    public async Task StartAsync_StalePostmasterPid_RemovesItAndStarts()
    {
        await using var directory = new TempClusterDirectory();
        await using (await PostgresCluster.StartAsync(directory.Options()))
        {
        }

        // What a crash or reboot leaves behind: a pid file whose pid no longer runs.
        await File.WriteAllTextAsync(directory.PostmasterPidFile, $"999999\n{directory.PgData}\n1700000000\n5432\n\n127.0.0.1\n0 0\nready\n");
        var logger = new CapturingLogger();

        await using var cluster = await PostgresCluster.StartAsync(directory.Options(), logger);

        cluster.CreatedNow.ShouldBeFalse();
        cluster.OwnsServer.ShouldBeTrue();
        (await Sql.ScalarAsync(cluster.AppConnectionString, "SELECT current_user")).ShouldBe("widgetify");
        File.ReadAllLines(directory.PostmasterPidFile)[0].ShouldNotBe("999999");
        logger.Entries.ShouldContain(entry => entry.Level == LogLevel.Warning && entry.Message.Contains("stale", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task StartAsync_FixedPortInUse_ThrowsWithServerLogTail()
    {
        await using var directory = new TempClusterDirectory();
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var options = directory.Options();
        options.Port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var error = await Should.ThrowAsync<InvalidOperationException>(() => PostgresCluster.StartAsync(options));

        error.Message.ShouldContain($"Check that port {options.Port} is free");
        error.Message.ShouldContain("Last lines of");
        error.Message.ShouldContain("could not bind");
        File.Exists(directory.PostmasterPidFile).ShouldBeFalse();
    }

    [Fact]
    public async Task StartAsync_AsRootWithUntraversableParent_ThrowsNamingTheFolder()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return; // Only root hands the server to the postgres user, who then needs to pass through the parents.
        }

        await using var directory = new TempClusterDirectory();
        var locked = Path.Combine(directory.Path, "locked");
        Directory.CreateDirectory(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = directory.Options();
        options.DataDirectory = Path.Combine(locked, ".widgetify");

        var error = await Should.ThrowAsync<InvalidOperationException>(() => PostgresCluster.StartAsync(options));

        error.Message.ShouldContain($"'{locked}'");
        error.Message.ShouldContain("chmod o+x");
    }

    [Fact]
    public async Task StartAsync_OrphanServerWithDeadOwner_AttachesAndTakesOwnership()
    {
        await using var directory = new TempClusterDirectory();
        await using var original = await PostgresCluster.StartAsync(directory.Options());
        // Simulate the owning process crashing: owner.pid names a pid that is gone.
        await File.WriteAllTextAsync(directory.OwnerPidFile, "999999\n");

        var adopter = await PostgresCluster.StartAsync(directory.Options());

        adopter.Port.ShouldBe(original.Port);
        adopter.OwnsServer.ShouldBeTrue();
        adopter.CreatedNow.ShouldBeFalse();
        ReadOwnerPid(directory).ShouldBe(Environment.ProcessId);
        (await Sql.ScalarAsync(adopter.AppConnectionString, "SELECT 1::text")).ShouldBe("1");

        await adopter.StopAsync();

        File.Exists(directory.PostmasterPidFile).ShouldBeFalse();
        File.Exists(directory.OwnerPidFile).ShouldBeFalse();
        await Should.ThrowAsync<NpgsqlException>(() => Sql.ScalarAsync(adopter.AppConnectionString, "SELECT 1::text"));
        // The original handle finds its server already gone; stopping it again must not fail.
        await original.StopAsync();
    }

    [Fact]
    public async Task DisposeAsync_SecondHandleWhileOwnerAlive_DoesNotStopServer()
    {
        await using var directory = new TempClusterDirectory();
        await using var owner = await PostgresCluster.StartAsync(directory.Options());

        var second = await PostgresCluster.StartAsync(directory.Options());
        second.OwnsServer.ShouldBeFalse();
        second.CreatedNow.ShouldBeFalse();
        second.Port.ShouldBe(owner.Port);
        await second.DisposeAsync();

        (await Sql.ScalarAsync(owner.AppConnectionString, "SELECT 1::text")).ShouldBe("1");
        ReadOwnerPid(directory).ShouldBe(Environment.ProcessId);

        await owner.StopAsync();
        File.Exists(directory.PostmasterPidFile).ShouldBeFalse();
    }

    [Fact]
    public async Task StopAsync_CalledTwice_IsIdempotentAndCredentialsAreOwnerOnlyWithoutSuperuserPassword()
    {
        await using var directory = new TempClusterDirectory();
        var cluster = await PostgresCluster.StartAsync(directory.Options());

        File.GetUnixFileMode(directory.CredentialsFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(directory.CredentialsFile)))
        {
            json.RootElement.TryGetProperty("adminPassword", out _).ShouldBeFalse("the superuser logs in over the socket, with no password");
            json.RootElement.GetProperty("appPassword").GetString().ShouldNotBeNullOrWhiteSpace();
            json.RootElement.GetProperty("replicationPassword").GetString().ShouldNotBeNullOrWhiteSpace();
            json.RootElement.EnumerateObject().Select(p => p.Name).ShouldBe(["appPassword", "replicationPassword"]);
        }

        Directory.GetFiles(directory.Path, ".initdb-pw-*").ShouldBeEmpty();

        await cluster.StopAsync();
        await cluster.StopAsync();
        await cluster.DisposeAsync();

        File.Exists(directory.PostmasterPidFile).ShouldBeFalse();
    }

    [Fact]
    public async Task StopAsync_ServerFrozenBySigstop_ContinuesItAndStops()
    {
        // Arrange: the postmaster and every process of the server SIGSTOPped, as a frozen host or `kill -STOP` leaves them
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());
        var postmaster = int.Parse(File.ReadLines(directory.PostmasterPidFile).First(), CultureInfo.InvariantCulture);
        int[] server = [postmaster, .. ProcessInspector.ChildrenOf(postmaster)];
        await Signal("-STOP", server);
        await Widgetify.Testing.BoundedWait.UntilAsync(
            () => ProcessInspector.Stopped([postmaster]).Count == 1, () => "postmaster not stopped yet", "SIGSTOP takes effect");

        // Act: a stop bounded well below pg_ctl's own 60 s wait, which a frozen server used to run out
        await cluster.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // Assert
        File.Exists(directory.PostmasterPidFile).ShouldBeFalse();
        ProcessInspector.IsAlive(postmaster).ShouldBeFalse();
    }

    [Fact]
    public async Task StopAsync_DuringARestart_LeavesNoServerRunning()
    {
        // Arrange: the server killed, and the supervisor's restart under way
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());
        var killed = cluster.Server.PostmasterPid;
        await Signal("-KILL", [killed]);
        await Widgetify.Testing.BoundedWait.UntilAsync(() => !ProcessInspector.IsAlive(killed), () => "alive", "the kill takes effect");
        var recovery = cluster.Server.RecoverAsync(CancellationToken.None);

        // Act: the service stops while pg_ctl is still starting the server (before its pid file says which postmaster)
        await cluster.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var outcome = await recovery.WaitAsync(TimeSpan.FromSeconds(60));

        // Assert: whichever saw the new postmaster stopped it (a test of `up` saw it outlive the service)
        outcome.ShouldNotBe(ServerHandle.Recovery.Restarted);
        ProcessInspector.ServerProcessesIn(directory.PgData).ShouldBeEmpty();
    }

    private static async Task Signal(string signal, IEnumerable<int> pids)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [signal, .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
        await kill.WaitForExitAsync();
    }

    private static int ReadOwnerPid(TempClusterDirectory directory) =>
        int.Parse(File.ReadAllText(directory.OwnerPidFile).Trim(), CultureInfo.InvariantCulture);
}
