using Widgetify.Observability.Alerts;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

public sealed class DbConnectionsNearLimitRuleTests
{
    private const string Rule = "DbConnectionsNearLimit";

    [Fact]
    public void Evaluate_EightyPercentOfMaxConnections_FiresAfterFiveSeconds()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(8, s => Healthy(s) with { ServerConnections = 80, MaxConnections = 100, WidgetifyServerConnections = 60 });

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Pending, 1), (AlertState.Pending, AlertState.Firing, 6)]);
        var alert = script.Active(Rule).ShouldNotBeNull();
        alert.Values["connections_ratio"].ShouldBe(0.8);
        alert.Values["widgetify_server_connections"].ShouldBe(60);
        alert.Summary.ShouldBe("The server has 80 client connections, 80% of max_connections 100 (threshold 80%).");
    }

    [Fact]
    public void Evaluate_SeventyNinePercent_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(30, s => Healthy(s) with { ServerConnections = 79, MaxConnections = 100 });

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_SamplingStops_PendingAlertClears()
    {
        // Arrange
        var script = new AlertScript();
        script.Run(3, s => Healthy(s) with { ServerConnections = 95, MaxConnections = 100 });

        // Act: the server no longer answers the sample
        script.Run(3, s => Healthy(s) with { ServerConnections = null, MaxConnections = null });

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Pending, 1), (AlertState.Pending, AlertState.Inactive, 4)]);
    }
}
