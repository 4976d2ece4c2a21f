using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.PoolReview.History;
using static Widgetify.PoolReview.Tests.History.Seconds;

namespace Widgetify.PoolReview.Tests.History;

[Collection(PoolHistoryDatabaseGroup.Name)]
public sealed class PoolHistoryRecorderTests(PoolHistoryDatabase cluster)
{
    [Fact]
    public async Task Observe_AMinuteOfSeconds_WritesPeaksQuantilesFromTheSummedBucketsAndRates()
    {
        // Arrange: 60 quiet seconds but one, in which ten acquires waited 0.4 s and ten connections were held 2 s.
        await using var database = await cluster.NewDatabaseAsync();
        await using var r = new Recording(database.DataSource);
        r.Run(1, 60, n => Second(
            n, used: n == 30 ? 7 : 2, pending: n == 31 ? 3 : 0, share: n == 45 ? 22 : 20, requests: 50, timeouts: n == 31 ? 1 : 0,
            acquire: Observed(n == 30 ? 0.4 : 0.0008, 10), hold: Observed(n == 30 ? 2.0 : 0.02, 10)));

        // Act: the next minute's first second completes the minute.
        r.Second(Second(61));
        var flushed = await r.FlushAsync();

        // Assert
        flushed.ShouldBeTrue();
        var minute = (await r.ReadAsync()).Minutes.ShouldHaveSingleItem("the minute in progress is not written yet");
        (minute.Instance, minute.Server, minute.Minute, minute.SecondsMeasured).ShouldBe(("a", PoolHistory.PrimaryServer, T0, 60.0));
        (minute.PeakInUse, minute.PeakWaiting, minute.Share).ShouldBe((7, 3, 22));
        (minute.Opens, minute.Timeouts, minute.Requests).ShouldBe((600L, 1L, 3000L));
        minute.RequestRate.ShouldBe(50);
        minute.OpenRate.ShouldBe(10);
        // 10 slow of 600: rank 594 lies among them, (0.25, 0.5] at 4/10. The seconds' p99s averaged would say 0.009 s.
        minute.AcquireWaitP99Seconds!.Value.ShouldBe(0.35, 1e-9);
        minute.AcquireWaitP50Seconds!.Value.ShouldBeInRange(0.0005, 0.001);
        minute.HoldTimeP99Seconds!.Value.ShouldBe(1.6, 1e-9);
        minute.HoldTimeP50Seconds!.Value.ShouldBeInRange(0.01, 0.025);
    }

    [Fact]
    public async Task Observe_Standbys_RecordsTheirGaugesAndReadsAndLeavesWhatIsNotTimedNull()
    {
        // Arrange: a standby whose counter of completed reads is re-started half way (the standby re-added).
        await using var database = await cluster.NewDatabaseAsync();
        var servers = new FakeServers();
        await using var r = new Recording(database.DataSource, servers: servers);
        r.Run(1, 60, n =>
        {
            servers.Now = [new ServerPoolGauge("standby-1", InUse: n == 10 ? 4 : 1, Waiting: n == 11 ? 2 : 0, Share: 8, Served: n <= 30 ? 1000 + (5 * n) : 5 * (n - 30))];
            return Second(n);
        });

        // Act
        r.Second(Second(61));
        await r.FlushAsync();

        // Assert
        var range = await r.ReadAsync(server: "standby-1");
        var standby = range.Minutes.ShouldHaveSingleItem();
        (standby.PeakInUse, standby.PeakWaiting, standby.Share, standby.SecondsMeasured).ShouldBe((4, 2, 8, 60.0));
        standby.Opens.ShouldBe(295, "5 a second for 59 seconds: the first second seen counts none, the re-started counter counts from zero");
        standby.AcquireWaitP50Seconds.ShouldBeNull();
        standby.AcquireWaitP99Seconds.ShouldBeNull();
        standby.HoldTimeP99Seconds.ShouldBeNull();
        standby.Timeouts.ShouldBeNull();
        standby.Requests.ShouldBeNull();
        standby.RequestRate.ShouldBeNull();
        (await r.ReadAsync()).Minutes.Select(m => m.Server).ShouldBe([PoolHistory.PrimaryServer, "standby-1"]);
    }

    [Fact]
    public async Task DisposeAsync_MinuteInProgress_WritesItMeasuredInPart()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var r = new Recording(database.DataSource);
        r.Run(1, 20, n => Second(n, used: 3));

        // Act: stopping; the flush loop was never started.
        await r.DisposeAsync();
        await r.DisposeAsync();

        // Assert
        var minute = (await r.ReadAsync()).Minutes.ShouldHaveSingleItem();
        minute.SecondsMeasured.ShouldBe(20);
        minute.PeakInUse.ShouldBe(3);
    }

    [Fact]
    public async Task DisposeAsync_NothingRecorded_LeavesTheDatabaseAlone()
    {
        // Arrange: monitoring off, so the loop never ran; nothing listens on port 1.
        await using var unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1");
        var r = new Recording(unreachable);

        // Act
        await r.DisposeAsync();

        // Assert: no write and no trim was tried, so nothing failed.
        r.Logger.Collector.Count.ShouldBe(0);
    }

    [Fact]
    public async Task Observe_TwoInstances_WriteTheirMinutesSideBySide()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        await using var a = new Recording(database.DataSource, "a");
        await using var b = new Recording(database.DataSource, "b");
        a.Run(1, 121, n => Second(n, used: n == 5 ? 3 : 1));
        b.Run(1, 121, n => Second(n, used: n == 70 ? 5 : 2));

        // Act: both create the table if missing and write at once.
        var flushed = await Task.WhenAll(a.FlushAsync(), b.FlushAsync());

        // Assert
        flushed.ShouldAllBe(ok => ok);
        var range = await a.ReadAsync();
        range.Minutes.Select(m => (m.Instance, m.Minute, m.PeakInUse)).ShouldBe(
            [("a", T0, 3), ("b", T0, 2), ("a", T0.AddMinutes(1), 1), ("b", T0.AddMinutes(1), 5)]);
        var primary = range.Servers.ShouldHaveSingleItem();
        (primary.Instances, primary.MinutesCovered, primary.PeakInUse, primary.PeakInUseAllInstances).ShouldBe((2, 2, 5, 6));
    }

    [Fact]
    public async Task StartAsync_FlushLoop_WritesCompletedMinutesEveryFlushIntervalOfTheClock()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        await using var r = new Recording(database.DataSource);
        await r.Recorder.StartAsync(CancellationToken.None);
        r.Run(1, 61, n => Second(n));
        await BoundedWait.UntilAsync(() => r.Clock.ArmedTimers > 0, () => $"{r.Clock.ArmedTimers} timers", "the flush loop waits on the clock");

        // Act and assert: one interval of the clock at a time, as in service. A single advance failed once in a fresh clone's
        // run ("1 pending" after 10 s): a flush that fails (a loaded machine's slow connect) is retried only at the next tick,
        // which a test that advanced once never gave. The 5 s bound is half the interval: a loop on the real clock would fail.
        await BoundedWait.UntilAsync(
            async () =>
            {
                r.Clock.Advance(PoolHistoryFlusher.FlushInterval);
                return (await r.ReadAsync()).Minutes.Count == 1;
            },
            () => $"{r.Pending.Count} pending; log: {string.Join(" | ", r.Logger.Collector.GetSnapshot().Select(l => l.Message))}",
            "the loop writes the completed minute", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task FlushAsync_DatabaseDown_KeepsTheMinutesQueuedAndWritesThemWhenItIsBack()
    {
        // Arrange: a server of its own, stopped and started again on the same port.
        await using var postgres = await TestPostgres.StartAsync(20);
        await using (var owner = postgres.CreateOwnerDataSource())
        {
            await PoolReviewTables.CreateAsync(owner, CancellationToken.None); // as the service's start does
        }

        await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
        await using var r = new Recording(dataSource);
        r.Run(1, 61, n => Second(n));
        (await r.FlushAsync()).ShouldBeTrue();

        // Act: two more minutes complete while the server is away, and two flushes fail.
        await postgres.Cluster.StopAsync();
        r.Run(62, 181, n => Second(n));
        var failed = await r.FlushAsync() || await r.FlushAsync();
        var queuedWhileDown = r.Pending.Count;
        await postgres.RestartAsync();
        await BoundedWait.UntilAsync(r.FlushAsync, () => $"{r.Pending.Count} pending", "the flush succeeds once the database is back", TimeSpan.FromSeconds(30));

        // Assert
        failed.ShouldBeFalse();
        queuedWhileDown.ShouldBe(2);
        r.Pending.Count.ShouldBe(0);
        (await r.ReadAsync()).Minutes.Select(m => m.Minute).ShouldBe([T0, T0.AddMinutes(1), T0.AddMinutes(2)]);
        var warnings = r.Logger.Collector.GetSnapshot().Where(l => l.Level == LogLevel.Warning).ToList();
        warnings.ShouldHaveSingleItem("logged once per outage").Message.ShouldContain("2 minutes wait in memory");
        r.Logger.Collector.LatestRecord.Message.ShouldContain("written to the database again; 0 minutes were dropped");
    }
}
