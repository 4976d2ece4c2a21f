using Widgetify.Observability.Alerts;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

public sealed class PoolSaturationRuleTests
{
    private const string Rule = "PoolSaturation";

    [Fact]
    public void Evaluate_NinetyPercentOfShare_FiresAfterFiveSeconds()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(8, s => Healthy(s) with { PoolUsed = 9, ConnectionShare = 10 });

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Pending, 1), (AlertState.Pending, AlertState.Firing, 6)]);
        var alert = script.Active(Rule).ShouldNotBeNull();
        alert.Values["saturation_ratio"].ShouldBe(0.9);
        alert.Summary.ShouldBe("The pool used 90% of its connection share on average over 5 s (9 of 10; threshold 90%).");
    }

    [Fact]
    public void Evaluate_EightyNinePercent_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(30, s => Healthy(s) with { PoolUsed = 89, ConnectionShare = 100 });

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_OneFullSecondInFive_AveragesBelowTheThreshold()
    {
        // Arrange
        var script = new AlertScript();

        // Act: 10 of 10 one second in five, 5 of 10 otherwise: 60% on average
        script.Run(30, s => Healthy(s) with { PoolUsed = (s.At - T0).TotalSeconds % 5 == 0 ? 10 : 5, ConnectionShare = 10 });

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_NoShare_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(30, s => Healthy(s) with { PoolUsed = 5, ConnectionShare = 0 });

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }
}
