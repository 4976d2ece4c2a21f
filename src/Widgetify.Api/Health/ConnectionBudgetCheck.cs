using Microsoft.Extensions.Diagnostics.HealthChecks;
using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Health;

/// <summary>Reports what the pool may use and why (configured vs applied Max Pool Size, the budget and this
/// instance's share) and the admission state; unready while the instance has no connection share.</summary>
internal sealed class ConnectionBudgetCheck(PoolGovernor governor, AdmissionController admission) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var budget = governor.Current;
        var limits = admission.GetStatistics();
        var data = new Dictionary<string, object>
        {
            ["configuredMaxPoolSize"] = budget.ConfiguredMaxPoolSize,
            ["appliedMaxPoolSize"] = budget.AppliedMaxPoolSize,
            ["poolFollowsBudget"] = budget.FollowsBudget,
            ["connectionBudget"] = budget.Budget is { } total ? total : "disabled",
            ["connectionShare"] = budget.Share,
            ["instances"] = budget.Instances,
            ["admissionLimit"] = limits.Limit,
            ["admissionInFlight"] = limits.InFlight,
            ["admissionQueued"] = limits.Queued,
        };
        var result = budget.Share > 0
            ? HealthCheckResult.Healthy(budget.Reason, data)
            : HealthCheckResult.Unhealthy($"No connection share: {budget.Reason}", data: data);
        return Task.FromResult(result);
    }
}
