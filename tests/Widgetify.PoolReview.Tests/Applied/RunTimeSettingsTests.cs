using Widgetify.PoolReview.Applied;
using Widgetify.PoolReview.Rules;
using static Widgetify.PoolReview.Tests.Rules.ReviewInputs;

namespace Widgetify.PoolReview.Tests.Applied;

public sealed class RunTimeSettingsTests
{
    private const string By = "ops@host-1";

    [Fact]
    public void Plan_Feb15PoolOf1000OnThreeInstances_OneChangeToTheSafeValue()
    {
        // Arrange: the Feb 15 configuration; the review recommends (100 - 3 - 10 - 3 x 2 own connections - 2 seats) / 3 = 26
        // per instance.
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 1000), Facts(maxConnections: 100), instances: 3));

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        var change = plan.Changes.ShouldHaveSingleItem();
        (change.Setting, change.Server, change.From, change.To, change.At, change.By).ShouldBe(
            ("Database:MaxPoolSize", "primary", (int?)1000, 26, At, By));
        change.Reason.ShouldBe(report.Findings.Single(f => f.Severity == FindingSeverity.Critical).Reason);
        change.ConfigurationKey.ShouldBe("Widgetify:Database:MaxPoolSize");
        plan.NotApplied.ShouldBeEmpty();
    }

    [Fact]
    public void Plan_PoolFollowsTheBudgetAndAnHourOfHistorySaysItIsFarTooLarge_AppliesTheHistoryRecommendation()
    {
        // Arrange: unset, the pool takes the 100 - 3 - 10 - 2 own connections - 2 seats = 83 the budget allows; Little's law says 5, plus headroom 7.
        var history = Recorded(minutes: 60, peakInUse: 4, openRate: 10, holdP99: 0.5);
        var report = SettingsReview.Review(Input(Primary(), Facts(), history));

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        var change = plan.Changes.ShouldHaveSingleItem();
        (change.From, change.To).ShouldBe(((int?)null, 7));
        change.Reason.ShouldContain("far larger than the pool ever needed");
        plan.NotApplied.ShouldBeEmpty();
    }

    [Fact]
    public void Plan_CriticalAndHistoryFindings_AppliesTheSmallestRecommendation()
    {
        // Arrange: Feb 15 on three instances (26 fits) with an hour of history that needs 7.
        var history = Recorded(minutes: 60, peakInUse: 4, openRate: 10, holdP99: 0.5);
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 1000), Facts(), history, instances: 3));

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        report.For("Database:MaxPoolSize").Select(f => f.Recommended).ShouldBe([26, 7], ignoreOrder: true);
        var change = plan.Changes.ShouldHaveSingleItem();
        (change.From, change.To).ShouldBe(((int?)1000, 7));
        change.Reason.ShouldContain("Little's law");
    }

    [Fact]
    public void Plan_HistoryRecommendationDrawnFromLessThanAnHour_NotAppliedAndSaysWhy()
    {
        // Arrange: the far-larger warning, as if drawn from 59 minutes.
        var reviewed = SettingsReview.Review(Input(Primary(maxPoolSize: 80), Facts(), Recorded(minutes: 60, peakInUse: 4, openRate: 10, holdP99: 0.5)));
        var finding = reviewed.Findings.ShouldHaveSingleItem() with { DrawnFromHistoryMinutes = 59 };
        var report = reviewed with { Findings = [finding] };

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        plan.Changes.ShouldBeEmpty();
        plan.NotApplied.ShouldBe(
            ["Database:MaxPoolSize on primary: 7 is drawn from 59 minute(s) of history, less than the hour a recommendation needs."]);
    }

    [Fact]
    public void Plan_RecommendationAboveWhatTheServerAffords_ClampedToTheSafeSize()
    {
        // Arrange: a recommendation of 50 where (100 - 3 - 10 - 3 x 2 own connections - 2 seats) / 3 = 26 fit.
        var reviewed = SettingsReview.Review(Input(Primary(maxPoolSize: 1000), Facts(), instances: 3));
        var report = reviewed with
        {
            Findings = [new Finding(FindingSeverity.Warning, "primary", "Database:MaxPoolSize", 1000, 50, "Waits seen.") { DrawnFromHistoryMinutes = 120 }],
        };

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        (plan.Changes.ShouldHaveSingleItem().From, plan.Changes[0].To).ShouldBe(((int?)1000, 26));
    }

    [Fact]
    public void Plan_RecommendationEqualToTheValueInEffect_NoChange()
    {
        // Arrange
        var reviewed = SettingsReview.Review(Input(Primary(maxPoolSize: 26), Facts(), instances: 3));
        var report = reviewed with
        {
            Findings = [new Finding(FindingSeverity.Warning, "primary", "Database:MaxPoolSize", 26, 26, "Already right.") { DrawnFromHistoryMinutes = 120 }],
        };

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        plan.Changes.ShouldBeEmpty();
        plan.NotApplied.ShouldBeEmpty();
    }

    [Fact]
    public void Plan_TimeoutRecommendations_NotAppliedAndLeftToTheConfiguration()
    {
        // Arrange: pool wait 15 s and command timeout 30 s against deadlines of 2 s and 5 s.
        var deadlines = new RequestDeadlines(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));
        var report = SettingsReview.Review(Input(Primary(connectTimeout: 15, commandTimeout: 30), Facts(), deadlines: deadlines));

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        plan.Changes.ShouldBeEmpty();
        plan.NotApplied.ShouldContain(
            "Database:ConnectTimeoutSeconds on primary: 5 is not changed at run time; set it in the configuration (it takes effect at the next start).");
    }

    [Fact]
    public void Plan_StandbyPoolTooLarge_NotAppliedWhileThePrimaryIsChanged()
    {
        // Arrange: both pools of 1000 on three instances; only the primary's is applied at run time. The primary affords
        // (100 - 3 - 10 - 3 x 2 own connections (control, listener) - 2 seats) / 3 = 26, the standby, where each instance
        // holds only its probe and a newcomer needs one seat, (100 - 3 - 10 - 3 x 1 - 1) / 3 = 27.
        var standby = Primary(maxPoolSize: 1000) with { Server = "standby-1", MaxPoolSizeSetting = "Database:Replicas:0:MaxPoolSize" };
        var input = Input(Primary(maxPoolSize: 1000), Facts(), instances: 3) with
        {
            Servers =
            [
                new ServerReviewInput(Primary(maxPoolSize: 1000), Facts(), null),
                new ServerReviewInput(standby, Facts() with { Server = "standby-1" }, null),
            ],
        };
        var report = SettingsReview.Review(input);

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        report.Findings.Count(f => f.Severity == FindingSeverity.Critical).ShouldBe(2);
        var change = plan.Changes.ShouldHaveSingleItem();
        (change.Server, change.Setting, change.To).ShouldBe(("primary", "Database:MaxPoolSize", 26));
        plan.NotApplied.ShouldBe(
            ["Database:Replicas:0:MaxPoolSize on standby-1: 27 is not changed at run time; set it in the configuration (it takes effect at the next start)."]);
    }

    [Fact]
    public void Plan_NoPoolFitsTheServer_NothingAppliedAndSaysToRaiseMaxConnections()
    {
        // Arrange: max_connections 10 leaves nothing once 10 are kept for others; waits in the history ask for more.
        var history = Recorded(minutes: 120, peakInUse: 10, openRate: 40, holdP99: 0.25, peakWaiting: 6, acquireP99: 0.25, timeouts: 3);
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 10), Facts(maxConnections: 10), history));

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        report.For("Database:MaxPoolSize").ShouldContain(f => f.Recommended != null && f.DrawnFromHistoryMinutes == 120);
        plan.Changes.ShouldBeEmpty();
        plan.NotApplied.ShouldContain(
            "Database:MaxPoolSize on primary: no pool fits the server for 1 instance(s); raise postgresql:max_connections first.");
    }

    [Fact]
    public void Plan_NoPoolFitsAndOnlyTheCriticalFinding_NothingAppliedAndSaysToRaiseMaxConnections()
    {
        // Arrange: the critical finding has no size to recommend when none fits.
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 1000), Facts(maxConnections: 10), instances: 3));

        // Act
        var plan = RunTimeSettings.Plan(report, By);

        // Assert
        report.HasCritical.ShouldBeTrue();
        plan.Changes.ShouldBeEmpty();
        plan.NotApplied.ShouldContain(line => line.Contains("raise postgresql:max_connections first", StringComparison.Ordinal));
    }
}
