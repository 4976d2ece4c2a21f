using Widgetify.Incidents.Postmortems;

namespace Widgetify.Incidents.Tests.Postmortems;

public sealed class RootCauseRankingTests
{
    [Fact]
    public void Rank_DatabaseDownForThirtyOfSixtyOneSecondsAndItsAlertFired_RanksDatabaseDownFirstWithItsRuleScore()
    {
        // Arrange: 70 x 30/61 + 30 = 64.4.
        var report = Reports.Build("DatabaseDown", ["DatabaseDown"], i => Reports.Sample(i, databaseUp: i is < 0 or >= 30));

        // Act
        var ranking = RootCauseRanking.Rank(new IncidentSeries(report));

        // Assert
        ranking[0].Name.ShouldBe("Database down");
        ranking[0].Score.ShouldBe(64);
        ranking[0].For.ShouldBe(["The database did not answer for 30 s (49% of the incident), first at +00:00 (08:00:00 UTC).", "DatabaseDown fired."]);
    }

    [Fact]
    public void Rank_OpensWaitedWithNothingPendingAtTheSampleInstant_CountsThemForPoolSaturation()
    {
        // Arrange: 5 opens waited in each of the first 20 of 61 seconds, none pending when sampled: 25 x 20/61 = 8.2.
        var report = Reports.Build("ConnectionWaits", ["ConnectionWaits"], i => Reports.Sample(i) with { OpensWaited = i is >= 0 and < 20 ? 5 : 0 });

        // Act
        var pool = RootCauseRanking.Rank(new IncidentSeries(report)).Single(c => c.Name == "Pool saturation / connection exhaustion");

        // Assert: + 15 because ConnectionWaits fired.
        pool.Score.ShouldBe(23);
        pool.For.ShouldContain("Connection opens waited in 33% of the seconds (peak 5 opens waited in the second to +00:00 (08:00:00 UTC)).");
        pool.Against.ShouldNotContain("No connection open ever waited.");
    }

    [Fact]
    public void Rank_NoOpenWaited_SaysSoAgainstPoolSaturation()
    {
        // Arrange
        var report = Reports.Build("ResponseTimeSpike", ["ResponseTimeSpike"], i => Reports.Sample(i));

        // Act
        var pool = RootCauseRanking.Rank(new IncidentSeries(report)).Single(c => c.Name == "Pool saturation / connection exhaustion");

        // Assert
        pool.Score.ShouldBe(0);
        pool.Against.ShouldContain("No connection open ever waited.");
    }

    [Fact]
    public void Rank_EqualScores_OrdersByName()
    {
        // Arrange: a quiet incident gives 0 to all but the traffic spike's healthy-pool 20 minus its no-spike 20.
        var report = Reports.Build("ResponseTimeSpike", [], i => Reports.Sample(i));

        // Act
        var ranking = RootCauseRanking.Rank(new IncidentSeries(report));

        // Assert
        ranking.Select(c => (c.Name, c.Score)).ShouldBe(
            [("Database down", 0), ("Pool saturation / connection exhaustion", 0), ("Pool settings the server cannot take", 0), ("Slow queries / lock contention", 0), ("Traffic spike", 0)]);
    }
}
