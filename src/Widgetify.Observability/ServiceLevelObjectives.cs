using System.ComponentModel.DataAnnotations;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability;

/// <summary>What "working" means for Widgetify's users, read by the error-budget alert, the incident timeline (impact
/// start, mitigation) and the postmortem.</summary>
public sealed class ServiceLevelObjectives
{
    /// <summary>Share of requests that must succeed (not 5xx, sheds included) over the SLO period.</summary>
    /// <value>Default 0.999 (an error budget of 0.1%); range 0.9 to 0.99999.</value>
    [Range(0.9, 0.99999)]
    public double Availability { get; set; } = 0.999;

    /// <summary>The p99 that served requests must stay under, in seconds.</summary>
    /// <value>Default 0.5 s; range 0.01 to 30.</value>
    [Range(0.01, 30)]
    public double LatencyP99Seconds { get; set; } = 0.5;

    /// <summary>The error budget: the share of requests allowed to fail.</summary>
    public double ErrorBudget => 1 - Availability;

    /// <summary>Whether users were hurt in <paramref name="snapshot"/>'s interval: more requests failed or were shed
    /// than the budget allows, served requests were slower than the objective, or the database was down.</summary>
    /// <param name="snapshot">One interval.</param>
    public bool IsBreached(SignalSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!snapshot.DatabaseUp)
        {
            return true;
        }

        return snapshot.Requests > 0
            && ((double)snapshot.BadRequests / snapshot.Requests > ErrorBudget
                || snapshot.ServedLatency.Quantile(0.99) > LatencyP99Seconds);
    }

    /// <summary>Whether the service itself is healthy again in <paramref name="snapshot"/>'s interval: the requests it
    /// serves meet the latency objective and fail within the budget, and the database is up. Requests it deliberately
    /// sheds (503 with Retry-After) are impact, counted in the incident, but not a fault: shedding is the mitigation.</summary>
    /// <param name="snapshot">One interval.</param>
    public bool IsMitigated(SignalSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!snapshot.DatabaseUp)
        {
            return false;
        }

        var served = snapshot.Requests - snapshot.Shed;
        return served <= 0
            || ((double)snapshot.ServerErrors / served <= ErrorBudget
                && (snapshot.ServedLatency.Quantile(0.99) ?? 0) <= LatencyP99Seconds);
    }
}
