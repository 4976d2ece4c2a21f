using Microsoft.Extensions.Options;
using Widgetify.Api.Scaling;
using Widgetify.Scaling;

namespace Widgetify.Api.Tests.Scaling;

public sealed class ScalingNeedsMonitoringTests
{
    [Theory]
    [InlineData(0, 2, false, false)] // on without monitoring: it would never act
    [InlineData(0, 2, true, true)]
    [InlineData(1, 1, false, true)]  // off: monitoring does not matter
    public void Validate_AutoscalerOnRequiresMonitoring(int min, int max, bool monitoring, bool valid)
    {
        var widgetify = new WidgetifyOptions();
        widgetify.Monitoring.Enabled = monitoring;
        var validator = new ScalingNeedsMonitoring(Options.Create(widgetify));

        var result = validator.Validate(null, new ScalingOptions { MinReplicas = min, MaxReplicas = max });

        result.Succeeded.ShouldBe(valid);
        if (!valid)
        {
            result.FailureMessage!.ShouldContain("Widgetify:Monitoring:Enabled is false");
        }
    }
}
