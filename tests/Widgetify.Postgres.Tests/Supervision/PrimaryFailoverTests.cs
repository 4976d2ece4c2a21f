using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Postgres.Standbys;
using Widgetify.Postgres.Supervision;
using Widgetify.Postgres.Tests.Standbys;

namespace Widgetify.Postgres.Tests.Supervision;

/// <summary>The primary lost for good (its data directory deleted) while two standbys stream: the supervisor promotes
/// one into the primary's place, on its port, and makes the other again from it. Real servers; the supervisor's check
/// runs when the test calls it.</summary>
public sealed class PrimaryFailoverTests
{
    [Fact]
    public async Task Check_PrimaryDataGone_PromotesAStandbyOnThePrimarysPortWithTheDataAndRebuildsTheOther()
    {
        // Arrange: rows written and replayed by both standbys, then the primary's data directory deleted under it.
        await using var root = new TempClusterDirectory();
        var primary = await StandbyTesting.StartPrimaryAsync(root);
        await using var standbys = new LocalStandbys(primary, StandbyTesting.Bounded());
        try
        {
            var outcome = await standbys.EnsureAsync(2);
            outcome.Streaming.Count.ShouldBe(2, string.Join("; ", outcome.Failures.Select(f => f.Reason)));
            await Sql.ExecuteAsync(primary.MigrationConnectionString, "CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, 100)");
            foreach (var standby in standbys.Standbys)
            {
                await StandbyTesting.WaitUntilReplayedAsync(primary, standby.AppConnectionString);
            }

            var port = primary.Port;
            Directory.Delete(root.PgData, recursive: true);
            var supervisor = new ServerSupervisor(primary, standbys, new FakeTimeProvider(), NullLogger.Instance);
            var events = new List<SupervisionEvent>();
            supervisor.Acted += events.Add;

            // Act
            await supervisor.CheckOnceAsync(CancellationToken.None);

            // Assert: one promotion, the rows there, writes taken, on the same port and in the primary's folder.
            var promoted = events.ShouldHaveSingleItem();
            promoted.Action.ShouldBe("Promoted", promoted.Message);
            primary.Port.ShouldBe(port);
            File.Exists(Path.Combine(root.PgData, "PG_VERSION")).ShouldBeTrue();
            (await Sql.ScalarAsync(primary.AppConnectionString, "SELECT count(*) FROM kept")).ShouldBe("100");
            (await Sql.ScalarAsync(primary.AppConnectionString, "SELECT pg_is_in_recovery()")).ShouldBe("False");
            await Sql.ExecuteAsync(primary.AppConnectionString, "INSERT INTO kept VALUES (101)");

            // Assert: the other standby streams from the new primary and has the new row.
            var failover = promoted.Failover.ShouldNotBeNull();
            var rebuilt = failover.Rebuilt.ShouldHaveSingleItem();
            rebuilt.Name.ShouldNotBe(failover.Promoted);
            standbys.Standbys.Select(s => s.Name).ShouldBe([rebuilt.Name]);
            await StandbyTesting.WaitUntilReplayedAsync(primary, rebuilt.AppConnectionString);
            (await Sql.ScalarAsync(rebuilt.AppConnectionString, "SELECT count(*) FROM kept")).ShouldBe("101");

            // Assert: the promoted standby archives where the primary did, its new timeline's history file first, and the
            // standbys archived nothing twice meanwhile (each archived segment name exists once, from one writer).
            var segment = await Sql.ScalarAsync(primary.AdminConnectionString, "SELECT pg_walfile_name(pg_switch_wal())");
            segment.ShouldNotBeNull().ShouldStartWith("00000002");
            await BoundedWait.UntilAsync(
                () => File.Exists(Path.Combine(primary.Backups.WalDirectory, "00000002.history")) && File.Exists(Path.Combine(primary.Backups.WalDirectory, segment)),
                () => string.Join(", ", Directory.GetFiles(primary.Backups.WalDirectory).Select(Path.GetFileName)),
                "the promoted standby archives its timeline into the primary's archive",
                TimeSpan.FromSeconds(30));
            (await Sql.ScalarAsync(rebuilt.AdminConnectionString, "SELECT archived_count FROM pg_stat_archiver")).ShouldBe("0");
        }
        finally
        {
            await standbys.StopAllAsync();
            await primary.StopAsync();
        }
    }

    [Fact]
    public async Task Check_PrimaryDataGoneWithoutStandbys_SaysSoOnceAndDoesNotLoop()
    {
        // Arrange
        await using var root = new TempClusterDirectory();
        var primary = await StandbyTesting.StartPrimaryAsync(root);
        var supervisor = new ServerSupervisor(primary, standbys: null, new FakeTimeProvider(), NullLogger.Instance);
        var events = new List<SupervisionEvent>();
        supervisor.Acted += events.Add;
        primary.Server.KillLostServer();
        Directory.Delete(root.PgData, recursive: true);

        // Act
        await supervisor.CheckOnceAsync(CancellationToken.None);
        await supervisor.CheckOnceAsync(CancellationToken.None);

        // Assert
        events.ShouldHaveSingleItem().Action.ShouldBe("PrimaryLost");
        events[0].Message.ShouldContain("restore it from a backup");
    }
}
