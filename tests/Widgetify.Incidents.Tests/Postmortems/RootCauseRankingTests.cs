using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Timeline;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Postmortems;

public sealed class RootCauseRankingTests
{
    private const string PoolSettings = "Pool settings the server cannot take";

    private const string Feb15 =
        "3 instance(s) (registered in the budget) x (Max Pool Size 1000 + 1 control connection) = 3003 connections can exceed the 97 this server accepts.";
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
    public void Rank_DatabaseKilledAndClientsRetrying_RanksDatabaseDownAboveTrafficSpike()
    {
        // Arrange: what a killed database looks like (a newcomer's drill ranked "Traffic spike" first): 20 s without an
        // answer, during which clients retry (2.5x the requests) and admission sheds most of them for want of connections;
        // then the database is back and the rate is as before.
        var report = Reports.Build("DatabaseDown", ["DatabaseDown", "SheddingActive"], i => i is >= 0 and < 20
            ? Reports.Sample(i, requests: 250, shed: 200, poolUsed: 0, databaseUp: false)
            : Reports.Sample(i));

        // Act
        var ranking = RootCauseRanking.Rank(new IncidentSeries(report));

        // Assert: the spike gets only SheddingActive's 10, and says why the rest is not counted.
        ranking[0].Name.ShouldBe("Database down");
        var spike = ranking.Single(c => c.Name == "Traffic spike");
        spike.Score.ShouldBe(10);
        spike.Against.ShouldContain("The database stopped answering in the first second of the impact: there is no request rate before it to call a spike.");
        spike.For.ShouldBe(["SheddingActive fired."]);
    }

    [Fact]
    public void Rank_SpikeThenDatabaseDown_CountsTheSpikeBeforeTheDatabaseStoppedAnswering()
    {
        // Arrange: 3x the requests and shedding for 10 s, then the database stops answering.
        var report = Reports.Build("SheddingActive", ["SheddingActive"], i => i switch
        {
            >= 0 and < 10 => Reports.Sample(i, requests: 300, shed: 30),
            >= 10 and < 20 => Reports.Sample(i, requests: 300, shed: 250, databaseUp: false),
            _ => Reports.Sample(i),
        });

        // Act
        var spike = RootCauseRanking.Rank(new IncidentSeries(report)).Single(c => c.Name == "Traffic spike");

        // Assert: 40 for the rate, 30 for 10% shed before the outage, 10 for the alert; not the healthy pool's 20.
        spike.Score.ShouldBe(80);
        spike.For.ShouldContain("Admission control shed 10.0% of requests before the database stopped answering: more arrived than the service could take.");
        spike.Against.ShouldContain("The database stopped answering 10 s into the impact: only the rate and shedding before that are counted (retries and sheds for want of a database came after).");
    }

    [Fact]
    public void Rank_SpikeWithOneSecondOfAFailedProbe_CountsTheWholeSpike()
    {
        // Arrange: 3x the requests and 10% shed throughout; in one second a probe ran out of time under the storm.
        var report = Reports.Build("SheddingActive", ["SheddingActive"], i => i >= 0
            ? Reports.Sample(i, requests: 300, shed: 30, databaseUp: i != 5)
            : Reports.Sample(i));

        // Act
        var spike = RootCauseRanking.Rank(new IncidentSeries(report)).Single(c => c.Name == "Traffic spike");

        // Assert: one second without an answer is no outage: 40 + 30 + 20 (healthy pool) + 10.
        spike.Score.ShouldBe(100);
        spike.Against.ShouldBeEmpty();
    }

    [Fact]
    public void Rank_DatabaseWritesFailingDetectedIt_RanksDatabaseCannotWriteFirstQuotingTheCause()
    {
        // Arrange: the service kept answering; PostgreSQL refused its writes.
        var report = Reports.Build("DatabaseWritesFailing", ["DatabaseWritesFailing"], i => Reports.Sample(i));
        report = report with
        {
            Incident = report.Incident with { DetectionSummary = "PostgreSQL refused 12 write(s) in the last 10 s: disk full (53100) x12." },
        };

        // Act
        var ranking = RootCauseRanking.Rank(new IncidentSeries(report));

        // Assert
        ranking[0].Name.ShouldBe("Database cannot write");
        ranking[0].Score.ShouldBe(90);
        ranking[0].For.ShouldBe(["DatabaseWritesFailing detected the incident: PostgreSQL refused 12 write(s) in the last 10 s: disk full (53100) x12."]);
        ranking[0].Tasks[0].ShouldContain("docs/runbooks/DatabaseWritesFailing.md");
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
            [("Database cannot write", 0), ("Database down", 0), ("Pool saturation / connection exhaustion", 0), ("Pool settings the server cannot take", 0), ("Slow queries / lock contention", 0), ("Traffic spike", 0)]);
    }

    [Fact]
    public void Rank_ConfigurationFindingAndServerConnectionsAtNinetyPercent_RanksPoolSettingsFirst()
    {
        // Arrange: the review's critical finding stood while server connections reached 90 of 100; the pool kept its share.
        var report = WithFinding(Reports.Build("DbConnectionsNearLimit", [], i => Reports.Sample(i, serverConnections: i < 0 ? 50 : 90)), Feb15);

        // Act
        var ranking = RootCauseRanking.Rank(new IncidentSeries(report));

        // Assert: 50 for the finding + 30 for the server at 90%.
        var first = ranking[0];
        (first.Name, first.Score).ShouldBe((PoolSettings, 80));
        first.For.ShouldBe(
        [
            "The pool review found: " + Feb15,
            "Server connections peaked at 90 of max_connections 100 (90%) at +00:00 (08:00:00 UTC). The pools reached what the server accepts.",
        ]);
        first.Against.ShouldBeEmpty();
    }

    [Fact]
    public void Rank_SameFindingWithServerConnectionsAtHalf_ScoresLowerAndSaysTheBudgetKeptThePoolsBelow()
    {
        // Arrange
        var atLimit = WithFinding(Reports.Build("ResponseTimeSpike", [], i => Reports.Sample(i, serverConnections: i < 0 ? 50 : 90)), Feb15);
        var atHalf = WithFinding(Reports.Build("ResponseTimeSpike", [], i => Reports.Sample(i, serverConnections: 50)), Feb15);

        // Act
        var high = RootCauseRanking.Rank(new IncidentSeries(atLimit)).Single(c => c.Name == PoolSettings);
        var low = RootCauseRanking.Rank(new IncidentSeries(atHalf)).Single(c => c.Name == PoolSettings);

        // Assert: 50 - 20.
        low.Score.ShouldBe(30);
        low.Score.ShouldBeLessThan(high.Score);
        low.For.ShouldBe(["The pool review found: " + Feb15]);
        low.Against.ShouldBe(
        [
            "Server connections peaked at 50 of max_connections 100 (50%) at +00:00 (08:00:00 UTC). The connection budget kept the pools below the server's limit, so the setting was wrong but not what hurt.",
        ]);
    }

    [Fact]
    public void Rank_SameFindingFromTwoInstances_CountedOnce()
    {
        // Arrange: both instances reviewed the same settings and recorded the same sentence.
        var report = WithFinding(WithFinding(Reports.Build("ResponseTimeSpike", [], i => Reports.Sample(i)), Feb15), Feb15, "b");

        // Act
        var candidate = RootCauseRanking.Rank(new IncidentSeries(report)).Single(c => c.Name == PoolSettings);

        // Assert
        candidate.For.Count(line => line.StartsWith("The pool review found: ", StringComparison.Ordinal)).ShouldBe(1);
        candidate.Score.ShouldBe(30);
    }

    [Fact]
    public void Rank_NoConfigurationFinding_PoolSettingsScoresNothingAndSaysSo()
    {
        // Arrange: the server at its limit, but no review finding stood.
        var report = Reports.Build("DbConnectionsNearLimit", [], i => Reports.Sample(i, serverConnections: 95));

        // Act
        var candidate = RootCauseRanking.Rank(new IncidentSeries(report)).Single(c => c.Name == PoolSettings);

        // Assert
        candidate.Score.ShouldBe(0);
        candidate.For.ShouldBeEmpty();
        candidate.Against.ShouldBe(["The pool review found no critical setting while the incident was open."]);
    }

    /// <summary><paramref name="report"/> with <paramref name="finding"/> on its timeline, as the tracker records it at detection.</summary>
    internal static IncidentReport WithFinding(IncidentReport report, string finding, string instance = "a") => report with
    {
        Events =
        [
            .. report.Events,
            new IncidentEvent { At = T0.AddSeconds(10), Kind = IncidentEventKind.ConfigurationFinding, Message = finding, Instance = instance },
        ],
    };
}
