using Widgetify.PoolReview.History;
using Widgetify.PoolReview.Rules;
using Widgetify.PoolReview.Tests.History;
using static Widgetify.PoolReview.Tests.History.Seconds;
using static Widgetify.PoolReview.Tests.Rules.ReviewInputs;

namespace Widgetify.PoolReview.Tests.Rules;

/// <summary>The review sized from history the recorder really wrote: the monitoring loop's seconds on a fake clock, the
/// minutes flushed to a real PostgreSQL and read back by <see cref="PoolHistory"/>.</summary>
[Collection(PoolHistoryDatabaseGroup.Name)]
public sealed class HistoryDrivenReviewTests(PoolHistoryDatabase cluster)
{
    [Fact]
    public async Task Review_AnHourRecordedOfAPoolFarTooLarge_RecommendsTheSizeLittlesLawGives()
    {
        // Arrange: 61 minutes of 4 connections in use, 10 opens a second each held 0.2 s (Little's law: about 2 to 3).
        await using var database = await cluster.NewDatabaseAsync();
        await using var r = new Recording(database.DataSource);
        r.Run(1, 61 * 60, n => Second(n, used: 4, acquire: Observed(0.001, 10), hold: Observed(0.2, 10)));
        r.Second(Second(61 * 60 + 1)); // completes the last minute
        await r.FlushAsync();
        var history = await r.ReadAsync(minutes: 62);

        // Act
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 80), Facts(), history.Servers.Single()));

        // Assert: needed max(4 in use, ceil(10/s x ~0.25 s)) = 4, plus 2 of headroom.
        history.Servers.Single().MinutesCovered.ShouldBe(61);
        var finding = report.For("Database:MaxPoolSize").Single();
        finding.Severity.ShouldBe(FindingSeverity.Warning);
        (finding.Current, finding.Recommended).ShouldBe((80, 6));
        finding.Reason.ShouldContain("over 61 minutes");
    }

    [Fact]
    public async Task Review_HalfAnHourRecorded_NotEnoughHistoryAndNothingRecommended()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        await using var r = new Recording(database.DataSource);
        r.Run(1, 30 * 60 + 1, n => Second(n, used: 4, acquire: Observed(0.001, 10), hold: Observed(0.2, 10)));
        await r.FlushAsync();
        var history = await r.ReadAsync(minutes: 62);

        // Act
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 80), Facts(), history.Servers.Single()));

        // Assert
        var finding = report.For("Database:MaxPoolSize").Single();
        (finding.Severity, finding.Recommended).ShouldBe((FindingSeverity.Info, null));
        finding.Reason.ShouldStartWith("Not enough history: 30 minute(s)");
    }
}
