using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

/// <summary>The multiwindow burn rate with the default 99.9% objective (a 0.1% error budget), 1,000 requests a second.</summary>
public sealed class ErrorBudgetBurnRuleTests
{
    private const string Rule = "ErrorBudgetBurn";
    private const int Hour = 3600;

    private static Func<SignalSnapshot, SignalSnapshot> Failing(long bad) => s => s with { Requests = 1000, ServerErrors = bad };

    private static RuleReading Read(AlertScript script)
    {
        var now = At(script.Second);
        var rule = new ErrorBudgetBurnRule(new AlertOptions(), new ServiceLevelObjectives());
        return rule.Read(new SignalSpan(script.History.Window(now, TimeSpan.FromHours(6)), now));
    }

    [Fact]
    public void Read_BadRequestsOnlyInTheLastFiveMinutes_EachWindowHasItsExactBurnRate()
    {
        // Arrange: two hours, the last 300 s at 1.5% bad (4,500 bad requests)
        var script = new AlertScript();
        script.Fill((2 * Hour) - 300, Failing(0));
        script.Fill(300, Failing(15));

        // Act
        var reading = Read(script);

        // Assert: 5 m 1.5% = 15x; 1 h 4,500 / 3.6 M = 1.25x; 30 m 2.5x; "6 h" is the 2 h there is: 0.625x
        reading.Holds.ShouldBeFalse();
        reading.Values["burn_rate_5m"].ShouldBe(15, 1e-9);
        reading.Values["burn_rate_1h"].ShouldBe(1.25, 1e-9);
        reading.Values["burn_rate_30m"].ShouldBe(2.5, 1e-9);
        reading.Values["burn_rate_6h"].ShouldBe(0.625, 1e-9);
        reading.Values["requests_5m"].ShouldBe(300_000);
        reading.Summary.ShouldContain("(history covers 2 h)");
    }

    [Fact]
    public void Evaluate_FastBurnInTheLastHour_Pages()
    {
        // Arrange: 5 h clean, then 1 h at 2% (20x): 6 h burn 3.3x, under the ticket's 6x
        var script = new AlertScript();
        script.Fill(5 * Hour, Failing(0));

        // Act
        var transitions = script.Fill(Hour, Failing(20));

        // Assert
        var firing = transitions.ShouldHaveSingleItem();
        (firing.Alert.Name, firing.From, firing.To, firing.Alert.Severity).ShouldBe((Rule, AlertState.Inactive, AlertState.Firing, AlertSeverity.Page));
        firing.Alert.Values["burn_rate_1h"].ShouldBe(20, 1e-9);
        firing.Alert.Values["burn_rate_6h"].ShouldBe(20.0 / 6, 1e-9);
        firing.Alert.Summary.ShouldBe("Page: the error budget (0.1%) is burning 20.0x over 1 h and 20.0x over 5 m, both above 14.4x.");
    }

    [Fact]
    public void Evaluate_SlowBurnForSixHours_OpensATicket()
    {
        // Arrange
        var script = new AlertScript();

        // Act: 0.7% bad for 6 h: 7x everywhere
        var transitions = script.Fill(6 * Hour, Failing(7));

        // Assert
        var firing = transitions.ShouldHaveSingleItem();
        (firing.Alert.Name, firing.Alert.Severity).ShouldBe((Rule, AlertSeverity.Ticket));
        firing.Alert.Summary.ShouldBe("Ticket: the error budget (0.1%) is burning 7.0x over 6 h and 7.0x over 30 m, both above 6x.");
    }

    [Fact]
    public void Evaluate_YoungServiceBurningFast_PagesOverTheHistoryItHas()
    {
        // Arrange
        var script = new AlertScript();

        // Act: up for 2 minutes at 2% bad
        var transitions = script.Fill(120, Failing(20));

        // Assert
        var firing = transitions.ShouldHaveSingleItem();
        firing.Alert.Severity.ShouldBe(AlertSeverity.Page);
        firing.Alert.Values["burn_rate_1h"].ShouldBe(20, 1e-9);
        firing.Alert.Summary.ShouldEndWith("both above 14.4x (history covers 2 m).");
    }

    [Fact]
    public void Evaluate_HalfOfFewRequestsFail_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();

        // Act: 90 requests in 90 s, half of them failed: 500x, but under the 100 requests the short window needs
        script.Run(90, s => s with { Requests = 1, ServerErrors = (s.At - T0).TotalSeconds % 2 == 0 ? 1 : 0 });

        // Assert
        script.Of(Rule).ShouldBeEmpty();
        script.Run(10, s => s with { Requests = 1, ServerErrors = 1 }).Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 100)]);
    }

    [Fact]
    public void Evaluate_TicketTurnsIntoFastBurn_EscalatesToPageExactlyWhenTheHourCrosses()
    {
        // Arrange: a ticket after 6 h at 0.7%
        var script = new AlertScript();
        script.Fill(6 * Hour, Failing(7));

        // Act: 20% bad from then on; the 1 h burn crosses 14.4x at the 139th second ((7 x 3,461 + 200 x 139) / 3.6 M = 1.445%)
        script.Run(140, Failing(200));

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 6 * Hour), (AlertState.Firing, AlertState.Firing, (6 * Hour) + 139)]);
        var escalation = script.Transitions.Last(t => t.Alert.Name == Rule);
        escalation.Alert.Severity.ShouldBe(AlertSeverity.Page);
        escalation.Alert.Summary.ShouldStartWith("Page: ");
        escalation.Alert.FiringSince.ShouldBe(At(6 * Hour));
    }
}
