using Microsoft.Extensions.Diagnostics.HealthChecks;
using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Health;

/// <summary>Reports what the pool may use and why (configured vs applied Max Pool Size, the budget and this
/// instance's share) and the admission state; unready while the instance has no connection share. For
/// <c>/health/serving</c> (<see cref="ConnectionShareScope.Instance"/>), a share lost only because its lease could not be
/// renewed is a warning, not a failure (see <see cref="Judge"/>).</summary>
internal sealed class ConnectionBudgetCheck(PoolGovernor governor, AdmissionController admission, ConnectionShareScope scope) : IHealthCheck
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
        var result = Judge(budget, scope) switch
        {
            HealthStatus.Healthy => HealthCheckResult.Healthy(budget.Reason, data),
            HealthStatus.Degraded => HealthCheckResult.Degraded(
                "No connection share: the lease could not be renewed, because the database did not answer. A database that is down answers " +
                $"no instance, so this one stays in and keeps taking requests (embeds it holds are served, the rest get 503 with Retry-After). {budget.Reason}",
                data: data),
            _ => HealthCheckResult.Unhealthy($"No connection share: {budget.Reason}", data: data),
        };
        return Task.FromResult(result);
    }

    /// <summary>Healthy with a share. Without one, unhealthy, except for <see cref="ConnectionShareScope.Instance"/> when
    /// the share was lost with the lease after having had one: the lease lives in the database, so it is lost when the
    /// database cannot be reached, and that happens to every instance at once. Taking them all out of a Service would
    /// turn a database outage into a total one (no endpoints: connections refused), embeds held in memory included. A
    /// share of 0 under a valid lease (peers hold the budget, a new pod waiting for them to shrink) or before the first
    /// lease is this instance's own state, and stays a failure.</summary>
    internal static HealthStatus Judge(PoolBudgetSnapshot budget, ConnectionShareScope scope) =>
        budget.Share > 0 ? HealthStatus.Healthy
        : scope == ConnectionShareScope.Instance && !budget.LeaseValid && budget.LastRenewedAt is not null ? HealthStatus.Degraded
        : HealthStatus.Unhealthy;
}

/// <summary>Which readiness a <see cref="ConnectionBudgetCheck"/> reports for.</summary>
internal enum ConnectionShareScope
{
    /// <summary><c>/health/ready</c>: no share is a failure whatever the cause (HAProxy's fleet then falls back to every
    /// live instance when none is ready).</summary>
    Fleet,

    /// <summary><c>/health/serving</c>: a failure only for a cause of this instance's own.</summary>
    Instance,
}
