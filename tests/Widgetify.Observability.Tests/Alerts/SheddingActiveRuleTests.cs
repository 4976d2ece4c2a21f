using Widgetify.Observability.Alerts;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

public sealed class SheddingActiveRuleTests
{
    private const string Rule = "SheddingActive";

    [Fact]
    public void Evaluate_TwoPercentShed_OpensATicketAfterTwoSeconds()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(3, s => Healthy(s) with { Shed = 2 });

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Pending, 1), (AlertState.Pending, AlertState.Firing, 3)]);
        var alert = script.Active(Rule).ShouldNotBeNull();
        alert.Severity.ShouldBe(AlertSeverity.Ticket);
        alert.Values["shed_ratio"].ShouldBe(0.02);
        alert.Summary.ShouldBe("Admission control shed 6 of 300 requests (2%) over 10 s (threshold 1%).");
    }

    [Fact]
    public void Evaluate_ExactlyOnePercentShed_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(30, s => Healthy(s) with { Shed = 1 });

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_SheddingStops_ResolvesWhenTheWindowClearsPlusResolveAfter()
    {
        // Arrange
        var script = new AlertScript();
        script.Run(5, s => Healthy(s) with { Shed = 50 });

        // Act: 250 shed in seconds 1-5; the 10 s window drops under 1% once they leave it, at second 15
        script.Run(30, Healthy);

        // Assert
        script.Of(Rule).ShouldBe(
        [
            (AlertState.Inactive, AlertState.Pending, 1),
            (AlertState.Pending, AlertState.Firing, 3),
            (AlertState.Firing, AlertState.Resolved, 25),
        ]);
    }
}
