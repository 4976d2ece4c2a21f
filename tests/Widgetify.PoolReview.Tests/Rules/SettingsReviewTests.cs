using Widgetify.PoolReview.Rules;
using static Widgetify.PoolReview.Tests.Rules.ReviewInputs;

namespace Widgetify.PoolReview.Tests.Rules;

public sealed class SettingsReviewTests
{
    [Fact]
    public void Review_Feb15PoolOf1000OnThreeInstancesAgainst100Connections_CriticalWithASafeMaxPoolSize()
    {
        // Arrange: Feb 15: Max Pool Size 1000 per instance, max_connections 100 (3 reserved for superusers), 3 instances.
        var input = Input(Primary(maxPoolSize: 1000), Facts(maxConnections: 100), instances: 3);

        // Act
        var report = SettingsReview.Review(input);

        // Assert: (100 - 3 - 10 kept for others - 3 x 2 own connections (control, listener) - 2 seats for a newcomer's) / 3 = 26;
        // the fleet is 3 x (1000 + 2) = 3006.
        report.HasCritical.ShouldBeTrue();
        var critical = report.Findings[0];
        critical.Severity.ShouldBe(FindingSeverity.Critical);
        critical.Setting.ShouldBe("Database:MaxPoolSize");
        critical.Current.ShouldBe(1000);
        critical.Recommended.ShouldBe(26);
        critical.Reason.ShouldContain("3 instance(s) (--instances) x (Max Pool Size 1000 + 2 control and listener connections) = 3006 connections");
        critical.Reason.ShouldContain("max_connections 100");
    }

    [Fact]
    public void Review_SafeValueRecommended_NoLongerCritical()
    {
        // Arrange: the recommendation of the Feb 15 review, applied.
        var input = Input(Primary(maxPoolSize: 26), Facts(maxConnections: 100), instances: 3);

        // Act
        var report = SettingsReview.Review(input);

        // Assert
        report.HasCritical.ShouldBeFalse();
        report.For("Database:MaxPoolSize").ShouldAllBe(f => f.Severity == FindingSeverity.Info);
    }

    [Fact]
    public void Review_OtherClientsConnected_TheirConnectionsCountAgainstWhatTheServerAccepts()
    {
        // Arrange: 2 x (40 + 2 own connections) = 84 fits 97 alone, not beside 20 other clients.
        var input = Input(Primary(maxPoolSize: 40), Facts(otherClients: 20), instances: 2);

        // Act
        var report = SettingsReview.Review(input);

        // Assert: (97 - 20 - 2 x 2 own connections - 2 seats) / 2 = 35; the room kept for others (10) is short of the 20 connected.
        var critical = report.Findings.Single(f => f.Severity == FindingSeverity.Critical);
        critical.Recommended.ShouldBe(35);
        report.For("ConnectionBudget:ReservedForOtherClients").Single().Recommended.ShouldBe(20);
    }

    [Fact]
    public void Review_NoPoolFits_NamesTheLeastMaxConnectionsThatWould()
    {
        // Arrange: max_connections 10 on three instances: 10 - 3 = 7 accepted, 10 kept for others, nothing left.
        var input = Input(Primary(maxPoolSize: 1000), Facts(maxConnections: 10), instances: 3);

        // Act
        var report = SettingsReview.Review(input);

        // Assert: 3 superuser-reserved + 10 for others + 3 x (1 pooled + 2 own connections) + 2 seats for a newcomer's own
        // = 24; at 24 the budget is 24 - 3 - 10 = 11 and (11 - 3 x 2 - 2) / 3 = 1 per instance fits, at 23 none does.
        var critical = report.Findings.Single(f => f.Severity == FindingSeverity.Critical);
        critical.Recommended.ShouldBeNull();
        critical.Reason.ShouldContain("no pool fits: raise postgresql:max_connections to at least 24");
        SettingsReview.Review(Input(Primary(maxPoolSize: 1), Facts(maxConnections: 24), instances: 3)).HasCritical.ShouldBeFalse();
        SettingsReview.Review(Input(Primary(maxPoolSize: 1), Facts(maxConnections: 23), instances: 3))
            .For("Database:MaxPoolSize").ShouldContain(f => f.Reason.Contains("no pool fits", StringComparison.Ordinal));
    }

    [Fact]
    public void Review_PoolFollowsTheBudget_NoCapacityFinding()
    {
        // Act: the shipped default: Database:MaxPoolSize unset.
        var report = SettingsReview.Review(Input(Primary(), Facts(), instances: 4));

        // Assert
        report.HasCritical.ShouldBeFalse();
        report.For("Database:MaxPoolSize").ShouldAllBe(f => f.Severity == FindingSeverity.Info);
    }

    [Fact]
    public void Review_BudgetDisabledAndPoolAboveTheRoomForOthers_WarningNotCritical()
    {
        // Arrange: 1 x (90 + 2 own connections) fits 97, but not with the 10 kept for others, and nothing clamps it.
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 90, budget: false), Facts()));

        // Assert
        var finding = report.For("Database:MaxPoolSize").First();
        finding.Severity.ShouldBe(FindingSeverity.Warning);
        finding.Recommended.ShouldBe(83); // 97 - 10 - 2 own connections - 2 seats
        finding.Reason.ShouldContain("ConnectionBudget:Enabled is false");
    }

    [Fact]
    public void Review_LessThanAnHourOfHistory_NotEnoughHistoryAndNoRecommendation()
    {
        // Act
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 80), Facts(), Recorded(minutes: 59, peakInUse: 3)));

        // Assert
        var finding = report.For("Database:MaxPoolSize").Single();
        finding.Severity.ShouldBe(FindingSeverity.Info);
        finding.Recommended.ShouldBeNull();
        finding.Reason.ShouldStartWith("Not enough history: 59 minute(s)");
    }

    [Fact]
    public void Review_PoolFarLargerThanEverNeeded_WarningFromLittlesLawWithHeadroom()
    {
        // Arrange: peak 10 opens/s x hold-time p99 0.5 s = 5 connections (Little's law), 4 in use at the peak.
        var history = Recorded(minutes: 60, peakInUse: 4, openRate: 10, holdP99: 0.5);

        // Act
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 80), Facts(cores: 4), history));

        // Assert: 5 + max(2, ceil(5 x 0.25)) = 7; HikariCP's 4 cores x 2 = 8 is named beside it.
        var finding = report.For("Database:MaxPoolSize").Single();
        finding.Severity.ShouldBe(FindingSeverity.Warning);
        finding.Recommended.ShouldBe(7);
        finding.Reason.ShouldContain("peak 10 opens/s x hold-time p99 0.5 s = 5 (Little's law)");
        finding.Reason.ShouldContain("HikariCP's cores x 2 + effective_spindle_count gives 8 for the server's 4 cores");
    }

    [Fact]
    public void Review_AcquireWaitsSeen_WarningWithTheNumbersAndALargerPool()
    {
        // Arrange: a pool of 10 with waits: p99 0.25 s, 6 waiting at once, 3 timeouts.
        var history = Recorded(minutes: 120, peakInUse: 10, openRate: 40, holdP99: 0.25, peakWaiting: 6, acquireP99: 0.25, timeouts: 3);

        // Act
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 10), Facts(), history));

        // Assert: Little's law 40 x 0.25 = 10, +headroom 3 = 13; the 6 waiting ask for 16, within the 83 that fit.
        var finding = report.For("Database:MaxPoolSize").Single();
        finding.Severity.ShouldBe(FindingSeverity.Warning);
        finding.Recommended.ShouldBe(16);
        finding.Reason.ShouldStartWith("Acquire waits seen: p99 0.25 s, up to 6 waiting at once, 3 timeout(s)");
    }

    [Fact]
    public void Review_PoolWaitAndCommandTimeoutLongerThanEveryDeadline_WarnsOfThePoolWaitOnly()
    {
        // Arrange: deadlines 2 s and 5 s; pool wait 15 s (Npgsql's default), command timeout 30 s.
        var deadlines = new RequestDeadlines(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));

        // Act
        var report = SettingsReview.Review(Input(Primary(connectTimeout: 15, commandTimeout: 30), Facts(), deadlines: deadlines));

        // Assert
        var wait = report.For("Database:ConnectTimeoutSeconds").Single();
        wait.Severity.ShouldBe(FindingSeverity.Warning);
        (wait.Current, wait.Recommended).ShouldBe((15, 5));
        wait.Reason.ShouldContain("Admission:WriteTimeout 5 s");
        // The command timeout bounds background work no deadline covers: longer than a request may wait is no finding.
        report.For("Database:CommandTimeoutSeconds").ShouldBeEmpty();
        report.HasCritical.ShouldBeFalse();
    }

    [Fact]
    public void Review_ShippedTimeoutsAndDeadlines_NoFinding()
    {
        // Arrange: what a fresh `up` runs with: pool wait 3 s, command timeout 10 s, deadlines 2 s and 5 s, and the
        // embedded server's idle_in_transaction_session_timeout of a minute (the Facts default).
        var deadlines = new RequestDeadlines(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));

        // Act
        var report = SettingsReview.Review(Input(Primary(), Facts(), deadlines: deadlines));

        // Assert: a fresh `up` warns about none of its own defaults.
        report.For("Database:CommandTimeoutSeconds").ShouldBeEmpty();
        report.For("Database:ConnectTimeoutSeconds").ShouldBeEmpty();
        report.For("Admission:WriteTimeout").ShouldBeEmpty();
        report.For("postgresql:idle_in_transaction_session_timeout").ShouldBeEmpty();
    }

    [Fact]
    public void Review_DeadlineLongerThanPoolWaitPlusCommandTimeout_Warning()
    {
        // Arrange: a 30 s write deadline against 3 s + 10 s of database timeouts.
        var deadlines = new RequestDeadlines(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));

        // Act
        var report = SettingsReview.Review(Input(Primary(), Facts(), deadlines: deadlines));

        // Assert
        var finding = report.For("Admission:WriteTimeout").Single();
        (finding.Current, finding.Recommended).ShouldBe((30.0, 13));
        report.For("Database:CommandTimeoutSeconds").ShouldBeEmpty(); // 10 s is within the 30 s deadline
    }

    [Fact]
    public void Review_ServerGuardsMissing_WarningsForIdleTransactionsAndReservedRoom()
    {
        // Arrange: no idle-in-transaction timeout, nothing reserved for superusers, nothing kept for other clients,
        // idle sessions closed by the server before the pool prunes them, and connections never recycled.
        var settings = Primary(reservedForOthers: 0, connectionLifetime: 0);
        var facts = Facts(superuserReserved: 0, idleInTransactionMs: 0, idleSessionMs: 60_000);

        // Act
        var report = SettingsReview.Review(Input(settings, facts));

        // Assert
        var idle = report.For("postgresql:idle_in_transaction_session_timeout").Single();
        (idle.Severity, idle.Current, idle.Recommended).ShouldBe((FindingSeverity.Warning, 0L, 60_000L));
        report.For("postgresql:superuser_reserved_connections").Single().Recommended.ShouldBe(3);
        report.For("ConnectionBudget:ReservedForOtherClients").Single().Recommended.ShouldBe(10);
        report.For("postgresql:idle_session_timeout").Single().Reason.ShouldContain("Connection Idle Lifetime 300 s");
        var lifetime = report.For("Database:ConnectionString (Connection Lifetime)").Single();
        (lifetime.Severity, lifetime.Recommended).ShouldBe((FindingSeverity.Info, 3600));
        report.HasCritical.ShouldBeFalse();
    }

    [Fact]
    public void Review_Findings_MostSevereFirst()
    {
        // Act
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 1000, reservedForOthers: 0), Facts(idleInTransactionMs: 0), instances: 2));

        // Assert
        report.Findings.Select(f => f.Severity).ShouldBe(report.Findings.Select(f => f.Severity).OrderDescending());
        report.Findings[0].Severity.ShouldBe(FindingSeverity.Critical);
    }
}
