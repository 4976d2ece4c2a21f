using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.PoolReview.History;
using static Widgetify.PoolReview.Tests.History.Seconds;

namespace Widgetify.PoolReview.Tests.History;

[Collection(PoolHistoryDatabaseGroup.Name)]
public sealed class PoolHistoryFlusherTests(PoolHistoryDatabase cluster)
{
    [Fact]
    public async Task FlushAsync_SameMinuteTwice_WritesItOnceAsFirstWritten()
    {
        // Arrange: the same minute again, as a retry after a lost commit or a restarted instance of the same name would.
        await using var database = await cluster.NewDatabaseAsync();
        await using var r = new Recording(database.DataSource);
        r.Pending.Add(Minute("a", 0, peakInUse: 4));
        await r.FlushAsync();
        r.Pending.Add(Minute("a", 0, peakInUse: 9));

        // Act
        var flushed = await r.FlushAsync();

        // Assert
        flushed.ShouldBeTrue();
        (await r.ReadAsync()).Minutes.ShouldHaveSingleItem().PeakInUse.ShouldBe(4);
        r.Pending.Count.ShouldBe(0);
    }

    [Fact]
    public async Task FlushAsync_RetentionPassed_TrimsOlderMinutesOfEveryInstanceAtMostHourly()
    {
        // Arrange: retention of an hour; the clock at T0.
        await using var database = await cluster.NewDatabaseAsync();
        await using var r = new Recording(database.DataSource, retention: TimeSpan.FromHours(1));
        foreach (var (instance, minute) in new[] { ("a", -180), ("b", -90), ("a", -30), ("b", 0) })
        {
            r.Pending.Add(Minute(instance, minute));
        }

        // Act: the first flush trims; one within the hour does not; one an hour later does again.
        await r.FlushAsync();
        var afterFirst = await StoredMinutesAsync(r);
        r.Pending.Add(Minute("a", -120));
        await r.FlushAsync();
        var withinTheHour = await StoredMinutesAsync(r);
        r.Clock.Advance(PoolHistoryFlusher.TrimInterval);
        await r.FlushAsync();
        var anHourLater = await StoredMinutesAsync(r);

        // Assert
        afterFirst.ShouldBe([-30, 0]);
        withinTheHour.ShouldBe([-120, -30, 0]);
        anHourLater.ShouldBe([0]);
        r.Logger.Collector.LatestRecord.Message.ShouldContain("Widgetify:Review:HistoryRetention is 01:00:00");
    }

    [Fact]
    public async Task FlushAsync_UnreachableLongerThanTheQueueHolds_DropsTheOldestAndLogsEachOnce()
    {
        // Arrange: nothing listens on port 1, so every write fails at once.
        await using var unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1");
        await using var r = new Recording(unreachable, capacity: 3);
        for (var m = 0; m < 5; m++)
        {
            r.Pending.Add(Minute("a", m));
        }

        // Act
        var first = await r.FlushAsync();
        r.Pending.Add(Minute("a", 5));
        r.Pending.Add(Minute("a", 6));
        var second = await r.FlushAsync();

        // Assert
        (first, second).ShouldBe((false, false));
        r.Pending.Take().Select(m => m.Minute).ShouldBe([T0.AddMinutes(4), T0.AddMinutes(5), T0.AddMinutes(6)]);
        var warnings = r.Logger.Collector.GetSnapshot().Where(l => l.Level == LogLevel.Warning).Select(l => l.Message).ToList();
        warnings.Count.ShouldBe(2, string.Join(Environment.NewLine, warnings));
        warnings[0].ShouldBe(
            "Could not write the pool history, the database is unavailable (Failed to connect to 127.0.0.1:1: Connection refused); 3 minutes wait in memory and are written when it answers (at most 3: beyond that the oldest are dropped)");
        warnings[1].ShouldStartWith("Dropping the oldest pool history minutes");
        r.Logger.Collector.GetSnapshot().ShouldAllBe(l => l.Exception == null, "a database that is down is expected: one line, no stack trace");
    }

    [Fact]
    public async Task DisposeAsync_DatabaseUnreachable_SaysInOneLineHowManyMinutesAreLost()
    {
        // Arrange: the service stops while the database is away, with two minutes not yet written.
        await using var unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1");
        var r = new Recording(unreachable);
        r.Pending.Add(Minute("a", 0));
        r.Pending.Add(Minute("a", 1));

        // Act
        await r.DisposeAsync();

        // Assert: no promise of a later write, which will not come.
        var lines = r.Logger.Collector.GetSnapshot();
        lines.ShouldHaveSingleItem().Message.ShouldBe(
            "Stopping without writing 2 minutes of pool history, the database is unavailable (Failed to connect to 127.0.0.1:1: Connection refused): they are lost, and the pool review will see a gap there");
        lines[0].Level.ShouldBe(LogLevel.Warning);
        lines[0].Exception.ShouldBeNull();
    }

    private static async Task<int[]> StoredMinutesAsync(Recording r)
    {
        var range = await r.History.ReadAsync(T0.AddHours(-4), T0.AddHours(1));
        return [.. range.Minutes.Select(m => (int)(m.Minute - T0).TotalMinutes)];
    }
}
