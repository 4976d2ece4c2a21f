using Microsoft.Extensions.Options;

namespace Widgetify.Api;

/// <summary>Checks what single-field ranges cannot: settings that must agree with each other.</summary>
internal sealed class WidgetifyOptionsConsistency : IValidateOptions<WidgetifyOptions>
{
    public ValidateOptionsResult Validate(string? name, WidgetifyOptions options)
    {
        var failures = new List<string>();
        var admission = options.Admission;
        if (admission.MinLimit > admission.MaxLimit)
        {
            failures.Add($"Widgetify:Admission:MinLimit ({admission.MinLimit}) must not exceed MaxLimit ({admission.MaxLimit}).");
        }

        if (admission.InitialLimit < admission.MinLimit || admission.InitialLimit > admission.MaxLimit)
        {
            failures.Add($"Widgetify:Admission:InitialLimit ({admission.InitialLimit}) must be between MinLimit ({admission.MinLimit}) and MaxLimit ({admission.MaxLimit}).");
        }

        var budget = options.ConnectionBudget;
        if (budget.LeaseDuration < budget.HeartbeatInterval * 2)
        {
            failures.Add($"Widgetify:ConnectionBudget:LeaseDuration ({budget.LeaseDuration}) must be at least twice HeartbeatInterval " +
                         $"({budget.HeartbeatInterval}), or a live instance's lease could expire between two heartbeats.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
