using System.ComponentModel.DataAnnotations;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

/// <summary>The lifecycle every rule shares, driven through DatabaseDown (whose condition is the simplest to script:
/// the database down in each of the last 3 seconds).</summary>
public sealed class AlertEvaluatorTests
{
    private static SignalSnapshot Down(SignalSnapshot s) => Healthy(s) with { DatabaseUp = false };

    [Fact]
    public void RuleNames_Always_AreTheNineRulesInOrder()
    {
        // Act
        var names = AlertEvaluator.RuleNames;

        // Assert
        names.ShouldBe(
            ["ResponseTimeSpike", "PoolSaturation", "ConnectionWaits", "DbConnectionsNearLimit", "SheddingActive", "ErrorBudgetBurn", "DatabaseDown",
                "DatabaseWritesFailing", "WalArchivingFailing"]);
    }

    [Fact]
    public void Constructor_TicketBurnAbovePageBurn_ThrowsNamingTheSetting()
    {
        // Arrange
        var options = new AlertOptions { TicketBurnRate = 20, PageBurnRate = 14.4 };

        // Act
        var error = Should.Throw<ValidationException>(() => new AlertEvaluator(options, new ServiceLevelObjectives()));

        // Assert
        error.Message.ShouldContain("Widgetify:Monitoring:Alerts:TicketBurnRate");
    }

    [Fact]
    public void Constructor_OutOfRangeOption_Throws()
    {
        // Arrange
        var options = new AlertOptions { PoolSaturationRatio = 1.5 };

        // Act & Assert
        Should.Throw<ValidationException>(() => new AlertEvaluator(options, new ServiceLevelObjectives()));
    }

    [Fact]
    public void Evaluate_HealthyHistory_NoTransitionAndNothingActive()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(120, Healthy);

        // Assert
        script.Transitions.ShouldBeEmpty();
        script.Evaluator.Active.ShouldBeEmpty();
        script.Evaluator.Recent.ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_ZeroFor_FiresAtOnceAndResolvesAfterResolveAfter()
    {
        // Arrange: down in seconds 5 to 14, so the condition holds from 7 (5, 6, 7 down) to 14
        var script = new AlertScript();

        // Act
        script.Run(4, Healthy).Run(10, Down).Run(11, Healthy);

        // Assert: false from 15, resolved 10 s later
        script.Of("DatabaseDown").ShouldBe([(AlertState.Inactive, AlertState.Firing, 7), (AlertState.Firing, AlertState.Resolved, 25)]);
        var resolved = script.Evaluator.Recent.ShouldHaveSingleItem();
        resolved.State.ShouldBe(AlertState.Resolved);
        resolved.Severity.ShouldBe(AlertSeverity.Page);
        resolved.PendingSince.ShouldBe(At(7));
        resolved.FiringSince.ShouldBe(At(7));
        resolved.ResolvedAt.ShouldBe(At(25));
        resolved.Runbook.ShouldBe("docs/runbooks/DatabaseDown.md");
        resolved.Summary.ShouldStartWith("Resolved: ");
        script.Evaluator.Active.ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_ForDuration_PendsThenFiresExactlyWhenHeldLongEnough()
    {
        // Arrange
        var script = new AlertScript(new AlertOptions { DatabaseDownFor = TimeSpan.FromSeconds(2) });

        // Act
        script.Run(4, Healthy).Run(4, Down);
        var pending = script.Active("DatabaseDown");
        script.Run(6, Down).Run(11, Healthy);

        // Assert
        pending.ShouldNotBeNull().State.ShouldBe(AlertState.Pending);
        pending.PendingSince.ShouldBe(At(7));
        pending.FiringSince.ShouldBeNull();
        script.Of("DatabaseDown").ShouldBe(
        [
            (AlertState.Inactive, AlertState.Pending, 7),
            (AlertState.Pending, AlertState.Firing, 9),
            (AlertState.Firing, AlertState.Resolved, 25),
        ]);
        var resolved = script.Evaluator.Recent.ShouldHaveSingleItem();
        (resolved.PendingSince, resolved.FiringSince, resolved.ResolvedAt).ShouldBe((At(7), At(9), At(25)));
    }

    [Fact]
    public void Evaluate_PendingThatClears_ReturnsToInactiveWithoutResolving()
    {
        // Arrange: holds at 7, 8, 9: shorter than the 5 s For
        var script = new AlertScript(new AlertOptions { DatabaseDownFor = TimeSpan.FromSeconds(5) });

        // Act
        script.Run(4, Healthy).Run(5, Down).Run(20, Healthy);

        // Assert
        script.Of("DatabaseDown").ShouldBe([(AlertState.Inactive, AlertState.Pending, 7), (AlertState.Pending, AlertState.Inactive, 10)]);
        script.Transitions.Last().Alert.State.ShouldBe(AlertState.Inactive);
        script.Evaluator.Recent.ShouldBeEmpty();
        script.Evaluator.Active.ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_ConditionReturnsWhileClearing_StaysFiringAndRestartsTheResolveDelay()
    {
        // Arrange
        var script = new AlertScript();

        // Act: holds 7-14, false 15-21 (7 s, under ResolveAfter), holds again at 22, false from 23
        script.Run(4, Healthy).Run(10, Down).Run(5, Healthy).Run(3, Down).Run(12, Healthy);

        // Assert
        script.Of("DatabaseDown").ShouldBe([(AlertState.Inactive, AlertState.Firing, 7), (AlertState.Firing, AlertState.Resolved, 33)]);
    }

    [Fact]
    public void Evaluate_BreachAfterResolution_StartsANewAlert()
    {
        // Arrange
        var script = new AlertScript();
        script.Run(4, Healthy).Run(10, Down).Run(11, Healthy);

        // Act: down again from 26, so the condition holds from 28
        script.Run(3, Down);

        // Assert
        script.Of("DatabaseDown").ShouldBe(
        [
            (AlertState.Inactive, AlertState.Firing, 7),
            (AlertState.Firing, AlertState.Resolved, 25),
            (AlertState.Inactive, AlertState.Firing, 28),
        ]);
        script.Active("DatabaseDown").ShouldNotBeNull().PendingSince.ShouldBe(At(28));
        script.Evaluator.Recent.ShouldHaveSingleItem().ResolvedAt.ShouldBe(At(25));
    }

    [Fact]
    public void Active_PageAndTicket_PageFirstEvenWhenYounger()
    {
        // Arrange: 5% shed from second 1 (ticket), the database down from second 11 (page)
        var script = new AlertScript();
        static SignalSnapshot Shedding(SignalSnapshot s) => Healthy(s) with { Shed = 5 };

        // Act
        script.Run(10, Shedding).Run(5, s => Shedding(s) with { DatabaseUp = false });

        // Assert: sheds are bad requests too, so the 50x burn pages from second 1; pages oldest first, then the ticket
        script.Evaluator.Active.Select(a => (a.Name, a.Severity)).ShouldBe(
            [("ErrorBudgetBurn", AlertSeverity.Page), ("DatabaseDown", AlertSeverity.Page), ("SheddingActive", AlertSeverity.Ticket)]);
    }

    [Fact]
    public void Recent_MoreResolutionsThanCapacity_KeepsTheNewestFirst()
    {
        // Arrange
        var script = new AlertScript(new AlertOptions { RecentCapacity = 2, ResolveAfter = TimeSpan.Zero });

        // Act: three outages, each resolved at the first healthy second
        for (var i = 0; i < 3; i++)
        {
            script.Run(3, Down).Run(2, Healthy);
        }

        // Assert
        script.Evaluator.Recent.Select(a => a.ResolvedAt).ShouldBe([At(14), At(9)]);
    }
}
