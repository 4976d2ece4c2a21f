using Microsoft.Extensions.Options;
using Widgetify.Scaling;

namespace Widgetify.Api.Scaling;

/// <summary>The autoscaler reads the monitoring loop's seconds: with monitoring off it would never see a signal and would
/// silently never act, so that combination stops the start instead.</summary>
internal sealed class ScalingNeedsMonitoring(IOptions<WidgetifyOptions> widgetify) : IValidateOptions<ScalingOptions>
{
    public ValidateOptionsResult Validate(string? name, ScalingOptions options) =>
        options.Enabled && !widgetify.Value.Monitoring.Enabled
            ? ValidateOptionsResult.Fail(
                $"{ScalingOptions.SectionName}:MaxReplicas ({options.MaxReplicas}) above MinReplicas ({options.MinReplicas}) turns the " +
                $"autoscaler on, but {WidgetifyOptions.SectionName}:Monitoring:Enabled is false, and the autoscaler reads the monitoring " +
                "loop's signals: turn monitoring on, or set MaxReplicas to MinReplicas.")
            : ValidateOptionsResult.Success;
}
