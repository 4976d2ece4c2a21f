namespace Widgetify.Api.Tests;

public sealed class WidgetifyOptionsConsistencyTests
{
    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = new WidgetifyOptionsConsistency().Validate(null, new WidgetifyOptions());

        result.Succeeded.ShouldBeTrue(result.FailureMessage);
    }

    [Fact]
    public void Validate_MinLimitAboveMaxLimit_FailsNamingBothSettings()
    {
        var options = new WidgetifyOptions { Admission = { MinLimit = 50, MaxLimit = 10, InitialLimit = 10 } };

        var result = new WidgetifyOptionsConsistency().Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.FailureMessage!.ShouldContain("Widgetify:Admission:MinLimit (50)");
        result.FailureMessage!.ShouldContain("MaxLimit (10)");
    }

    [Fact]
    public void Validate_InitialLimitOutsideBounds_Fails()
    {
        var options = new WidgetifyOptions { Admission = { MinLimit = 20, MaxLimit = 200, InitialLimit = 5 } };

        var result = new WidgetifyOptionsConsistency().Validate(null, options);

        result.FailureMessage!.ShouldContain("InitialLimit (5)");
    }

    [Fact]
    public void Validate_LeaseShorterThanTwoHeartbeats_Fails()
    {
        var options = new WidgetifyOptions
        {
            ConnectionBudget = { HeartbeatInterval = TimeSpan.FromSeconds(5), LeaseDuration = TimeSpan.FromSeconds(8) },
        };

        var result = new WidgetifyOptionsConsistency().Validate(null, options);

        result.FailureMessage!.ShouldContain("LeaseDuration");
        result.FailureMessage!.ShouldContain("twice HeartbeatInterval");
    }
}
