using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

public sealed class DatabaseDownRuleTests
{
    private const string Rule = "DatabaseDown";

    private static SignalSnapshot Down(SignalSnapshot s) => Healthy(s) with { DatabaseUp = false };

    [Fact]
    public void Evaluate_DownThreeSecondsInARow_FiresOnTheThird()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(2, Healthy).Run(4, Down);

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 5)]);
        script.Active(Rule).ShouldNotBeNull().Summary.ShouldBe("The database has been unreachable in every sample of the last 3 s.");
    }

    [Fact]
    public void Evaluate_DownTwoSecondsOfThree_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(30, s => (s.At - T0).TotalSeconds % 3 == 0 ? Healthy(s) : Down(s));

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_DownSinceStartButOnlyTwoSecondsOfHistory_DoesNotFireYet()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(2, Down);

        // Assert
        script.Of(Rule).ShouldBeEmpty();
        script.Run(1, Down).Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 3)]);
    }
}
