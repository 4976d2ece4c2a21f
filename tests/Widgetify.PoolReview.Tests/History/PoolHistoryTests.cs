using Widgetify.PoolReview.History;
using static Widgetify.PoolReview.Tests.History.Seconds;

namespace Widgetify.PoolReview.Tests.History;

[Collection(PoolHistoryDatabaseGroup.Name)]
public sealed class PoolHistoryTests(PoolHistoryDatabase cluster)
{
    [Fact]
    public async Task ReadAsync_NothingRecordedYet_ReadsAnEmptyRange()
    {
        // Arrange: a database the recorder never wrote to.
        await using var database = await cluster.NewDatabaseAsync();
        var history = new PoolHistory(database.DataSource);

        // Act
        var range = await history.ReadAsync(T0, T0.AddDays(1));

        // Assert
        range.Minutes.ShouldBeEmpty();
        range.Servers.ShouldBeEmpty();
    }

    [Fact]
    public async Task ReadAsync_RangeAndServer_ReturnsTheirMinutesOldestFirstWithASummaryPerServer()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        await using var r = new Recording(database.DataSource);
        r.Pending.Add(Minute("a", 0, peakInUse: 9));
        r.Pending.Add(Minute("a", 1, peakInUse: 3, opens: 1200, holdP99: 0.2));
        r.Pending.Add(Minute("a", 2, peakInUse: 5, requests: 6000));
        r.Pending.Add(Minute("a", 1, server: "standby-1", peakInUse: 2, requests: null, acquireP99: null, holdP99: null));
        r.Pending.Add(Minute("a", 3, server: "standby-1", peakInUse: 8, requests: null, acquireP99: null, holdP99: null));
        await r.FlushAsync();

        // Act: [T0 + 1 min, T0 + 3 min)
        var range = await r.History.ReadAsync(T0.AddMinutes(1), T0.AddMinutes(3));
        var standby = await r.History.ReadAsync(T0, T0.AddMinutes(10), "standby-1");

        // Assert
        range.Minutes.Select(m => (m.Minute, m.Server)).ShouldBe(
            [(T0.AddMinutes(1), PoolHistory.PrimaryServer), (T0.AddMinutes(1), "standby-1"), (T0.AddMinutes(2), PoolHistory.PrimaryServer)]);
        range.Servers.Select(s => s.Server).ShouldBe([PoolHistory.PrimaryServer, "standby-1"]);
        var primary = range.Servers[0];
        (primary.MinutesCovered, primary.PeakInUse, primary.MaxHoldTimeP99Seconds, primary.PeakRequestRate, primary.PeakOpenRate)
            .ShouldBe((2, 5, 0.2, 100.0, 20.0));
        standby.Minutes.Select(m => m.PeakInUse).ShouldBe([2, 8]);
        standby.Servers.ShouldHaveSingleItem().MaxHoldTimeP99Seconds.ShouldBeNull();
    }

    [Fact]
    public async Task ReadAsync_UntilNotAfterSince_FailsSayingWhy()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var history = new PoolHistory(database.DataSource);

        // Act & Assert
        var exception = await Should.ThrowAsync<ArgumentException>(() => history.ReadAsync(T0, T0));
        exception.Message.ShouldContain("must end after it starts");
    }
}
