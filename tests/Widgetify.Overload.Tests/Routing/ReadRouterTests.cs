using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using NpgsqlTypes;
using Widgetify.Overload.Routing;

namespace Widgetify.Overload.Tests.Routing;

/// <summary>The router on a real primary with two real streaming standbys: where reads go, lag, the consistency token,
/// a standby killed mid-flight, the drain. The monitor's rounds are run by the tests (<c>CheckOnceAsync</c>) on a fake
/// clock, so lag in time is whatever the test says has passed.</summary>
[Collection(ReplicatedClusterGroup.Name)]
public sealed class ReadRouterTests(ReplicatedCluster cluster) : IAsyncLifetime, IAsyncDisposable
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private NpgsqlDataSource primaryPool = null!;
    private ReadRouter router = null!;
    private ReadServerMonitor monitor = null!;

    public async Task InitializeAsync()
    {
        primaryPool = NpgsqlDataSource.Create(cluster.Primary.ConnectionString);
        // TokenWait 0: on the fake clock a wait would never end; waiting is covered by Choose's tests and the API's.
        router = new ReadRouter(
            new ReplicaOptions { TokenWait = TimeSpan.Zero }, (_, ct) => primaryPool.OpenConnectionAsync(ct), "routing-test", time,
            NullLoggerFactory.Instance);
        foreach (var standby in cluster.Standbys.Standbys)
        {
            router.Add(standby.Name, standby.AppConnectionString);
        }

        monitor = new ReadServerMonitor(router, primaryPool, () => 1);
        await monitor.CheckOnceAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var standby in cluster.Standbys.Standbys)
        {
            await ReplicatedCluster.ResumeReplayAsync(standby);
        }

        await router.DisposeAsync();
        await primaryPool.DisposeAsync();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    [Fact]
    public async Task ReadAsync_StandbysReady_EveryReadOnAStandby_SpreadOverBoth()
    {
        // Act
        var inRecovery = new List<bool>();
        for (var i = 0; i < 20; i++)
        {
            inRecovery.Add(await router.ReadAsync((c, ct) => ScalarAsync<bool>(c, "SELECT pg_is_in_recovery()", ct), null, null, default));
        }

        // Assert
        inRecovery.ShouldAllBe(r => r);
        var servers = Servers();
        servers.Single(s => s.Name == ReadRouter.PrimaryName).ReadsServed.ShouldBe(0);
        servers.Where(s => s.Role == "standby").ShouldAllBe(s => s.State == ReadServerState.Ready && s.ReadsServed == 10);
    }

    [Fact]
    public async Task CheckOnce_IdleForAnHour_NoLag()
    {
        // Arrange: nothing written; an hour passes between two checks
        await cluster.WaitForReplayAsync();
        await monitor.CheckOnceAsync(default);
        time.Advance(TimeSpan.FromHours(1));

        // Act
        await monitor.CheckOnceAsync(default);

        // Assert
        Servers().Where(s => s.Role == "standby").ShouldAllBe(s => s.State == ReadServerState.Ready && s.Lag.Bytes == 0);
    }

    [Fact]
    public async Task CheckOnce_ReplayFrozenPastMaxLag_StandbyLeavesRotation_AndComesBack()
    {
        // Arrange: standby 0 stops replaying, then the primary writes a few bytes
        var frozen = cluster.Standby(0);
        await ReplicatedCluster.PauseReplayAsync(frozen);
        await ReplicatedCluster.ExecuteAsync(cluster.Primary.ConnectionString, "INSERT INTO routed VALUES (1001, 'lag') ON CONFLICT (id) DO UPDATE SET v = 'lag2'");
        await monitor.CheckOnceAsync(default);

        // Act: 3 s pass (MaxLag 2 s) and another check runs
        time.Advance(TimeSpan.FromSeconds(3));
        await monitor.CheckOnceAsync(default);
        var lagging = Servers().Single(s => s.Name == frozen.Name);
        var reads = new List<bool>();
        for (var i = 0; i < 6; i++)
        {
            reads.Add(await router.ReadAsync((c, ct) => ScalarAsync<bool>(c, "SELECT pg_is_in_recovery()", ct), null, null, default));
        }

        // Assert: lagging by bytes and time, and no read went there
        lagging.State.ShouldBe(ReadServerState.Lagging);
        lagging.Lag.Bytes.ShouldBeGreaterThan(0);
        lagging.Lag.Time.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2));
        lagging.Problem!.ShouldContain("MaxLag");
        Servers().Single(s => s.Name == frozen.Name).ReadsServed.ShouldBe(lagging.ReadsServed);

        // And back: replay resumes, the next check puts it back in rotation
        await ReplicatedCluster.ResumeReplayAsync(frozen);
        await cluster.WaitForReplayAsync();
        await monitor.CheckOnceAsync(default);
        Servers().Single(s => s.Name == frozen.Name).State.ShouldBe(ReadServerState.Ready);
    }

    [Fact]
    public async Task ReadAsync_WithTokenOfAWriteNoStandbyReplayed_ReadsTheWriteFromThePrimary()
    {
        // Arrange: both standbys frozen, then a write; its token as the API would hand it out
        foreach (var standby in cluster.Standbys.Standbys)
        {
            await ReplicatedCluster.PauseReplayAsync(standby);
        }

        var value = Guid.NewGuid().ToString();
        await ReplicatedCluster.ExecuteAsync(cluster.Primary.ConnectionString, $"INSERT INTO routed VALUES (2001, '{value}') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v");
        var token = new ConsistencyToken(await ReplicatedCluster.ScalarAsync<NpgsqlLogSequenceNumber>(cluster.Primary.ConnectionString, "SELECT pg_current_wal_insert_lsn()"));
        await monitor.CheckOnceAsync(default); // still within MaxLag: both standbys stay ready

        // Act
        var withToken = await router.ReadAsync((c, ct) => ScalarAsync<string?>(c, "SELECT v FROM routed WHERE id = 2001", ct), token, null, default);
        var withoutToken = await router.ReadAsync((c, ct) => ScalarAsync<string?>(c, "SELECT v FROM routed WHERE id = 2001", ct), null, null, default);

        // Assert: the token finds the write; a read without one is served by a (stale) standby
        Servers().Where(s => s.Role == "standby").ShouldAllBe(s => s.State == ReadServerState.Ready);
        withToken.ShouldBe(value);
        withoutToken.ShouldNotBe(value);
        Servers().Single(s => s.Name == ReadRouter.PrimaryName).ReadsServed.ShouldBe(1);
    }

    [Fact]
    public async Task ReadAsync_WithTokenAStandbyHasReplayed_ServedByThatStandby()
    {
        // Arrange
        await ReplicatedCluster.ExecuteAsync(cluster.Primary.ConnectionString, "INSERT INTO routed VALUES (3001, 'x') ON CONFLICT (id) DO UPDATE SET v = 'y'");
        var token = new ConsistencyToken(await ReplicatedCluster.ScalarAsync<NpgsqlLogSequenceNumber>(cluster.Primary.ConnectionString, "SELECT pg_current_wal_insert_lsn()"));
        await cluster.WaitForReplayAsync();
        await monitor.CheckOnceAsync(default);

        // Act
        var inRecovery = await router.ReadAsync((c, ct) => ScalarAsync<bool>(c, "SELECT pg_is_in_recovery()", ct), token, null, default);

        // Assert
        inRecovery.ShouldBeTrue();
        Servers().Single(s => s.Name == ReadRouter.PrimaryName).ReadsServed.ShouldBe(0);
    }

    [Fact]
    public async Task ReadAsync_StandbyKilledWithSigkill_ReadsStillSucceed_AndItIsDownUntilRestarted()
    {
        // Arrange: warm both pools so the killed standby leaves broken idle connections behind
        for (var i = 0; i < 4; i++)
        {
            await router.ReadAsync((c, ct) => ScalarAsync<int>(c, "SELECT 1", ct), null, null, default);
        }

        var victim = cluster.Standby(1);
        KillPostmaster(victim.DataDirectory);

        // Act: reads right after the kill, before any check has seen it
        var results = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            results.Add(await router.ReadAsync((c, ct) => ScalarAsync<int>(c, "SELECT 1", ct), null, null, default));
        }

        await monitor.CheckOnceAsync(default);

        // Assert: no error reached the caller, and the dead standby is out of rotation
        results.ShouldAllBe(r => r == 1);
        Servers().Single(s => s.Name == victim.Name).State.ShouldBe(ReadServerState.Down);

        // And it comes back once restarted (on a new port, so the router is told where)
        (await cluster.Standbys.EnsureAsync(2)).Failures.ShouldBeEmpty();
        var restarted = cluster.Standbys.Standbys.Single(s => s.Name == victim.Name);
        router.Add(restarted.Name, restarted.AppConnectionString);
        await cluster.WaitForReplayAsync();
        await monitor.CheckOnceAsync(default);
        Servers().Single(s => s.Name == victim.Name).State.ShouldBe(ReadServerState.Ready);
    }

    [Fact]
    public async Task DrainAsync_ReadInFlight_WaitsForIt_ThenForgetsTheStandby()
    {
        // Arrange: a slow read on whichever standby it lands
        var gate = new TaskCompletionSource();
        var slow = router.ReadAsync(async (c, ct) =>
        {
            gate.SetResult();
            return await ScalarAsync<bool>(c, "SELECT pg_is_in_recovery() FROM pg_sleep(0.3)", ct);
        }, null, null, default);
        await gate.Task;
        var busy = Servers().Single(s => s.InFlight == 1);

        // Act
        var left = await router.DrainAsync(busy.Name, TimeSpan.FromMinutes(1), default);

        // Assert: the drain ended only after the read (0 left in flight: it did not just time out or give up), which
        // succeeded; the standby is gone from routing. Not slow.IsCompletedSuccessfully at this point: the read leaves the
        // standby's in-flight count (what the drain waits for) a moment before its task completes, and a run of the suite saw that gap.
        left.ShouldBe(0);
        (await slow).ShouldBeTrue();
        Servers().ShouldNotContain(s => s.Name == busy.Name);
    }

    [Fact]
    public async Task CheckOnce_ServerThatIsNotAStandby_Down()
    {
        // Arrange: the primary listed as a standby by mistake (or a promoted standby)
        router.Add("not-a-standby", cluster.Primary.ConnectionString);

        // Act
        await monitor.CheckOnceAsync(default);

        // Assert
        var server = Servers().Single(s => s.Name == "not-a-standby");
        server.State.ShouldBe(ReadServerState.Down);
        server.Problem!.ShouldContain("not a standby");
    }

    private IReadOnlyList<ReadServerStatus> Servers() =>
        router.Servers(new ReadServerStatus(ReadRouter.PrimaryName, "primary", "127.0.0.1", 0, ReadServerState.Ready, ReplicationLag.None, 0, 0, 0, null));

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? default! : (T)value!;
    }

    private static void KillPostmaster(string standbyDataDirectory)
    {
        var pid = int.Parse(File.ReadLines(Path.Combine(standbyDataDirectory, "pg", "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill(entireProcessTree: false);
        process.WaitForExit(10_000);
    }
}

[CollectionDefinition(Name)]
public sealed class ReplicatedClusterGroup : ICollectionFixture<ReplicatedCluster>
{
    public const string Name = "replicated cluster";
}
