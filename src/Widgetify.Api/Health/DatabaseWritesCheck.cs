using Microsoft.Extensions.Diagnostics.HealthChecks;
using Widgetify.Observability.Database;

namespace Widgetify.Api.Health;

/// <summary>Degraded (<c>warn</c>, still HTTP 200) while PostgreSQL has recently refused a write because it cannot write:
/// disk full, out of memory, no connection slot, I/O error (<see cref="SqlStates.MeansCannotWrite"/>). Not
/// <c>fail</c>: the cause is the one primary every instance shares, so every instance fails writes alike and a
/// balancer that took them all out would turn failed writes into a total outage, reads and embeds included, which
/// still work. The output names the condition and its code and says what to do.</summary>
internal sealed class DatabaseWritesCheck(DatabaseWriteFailures writeFailures, TimeProvider timeProvider) : IHealthCheck
{
    /// <summary>How long a refused write keeps the check degraded: writes come as clients send them, so a quiet minute
    /// after a failure says nothing yet; this long without another refusal says the server takes writes again (or no
    /// one has tried).</summary>
    internal static readonly TimeSpan Memory = TimeSpan.FromSeconds(30);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        if (writeFailures.LatestCannotWrite is not { } latest || now - latest.At >= Memory)
        {
            return Task.FromResult(HealthCheckResult.Healthy(
                $"No write refused by PostgreSQL for lack of resources or by failing storage in the last {Memory.TotalSeconds:0} s."));
        }

        var data = new Dictionary<string, object>
        {
            ["sqlstate"] = latest.SqlState,
            ["sqlstateClass"] = SqlStates.ClassOf(latest.SqlState),
            ["condition"] = SqlStates.Condition(latest.SqlState),
            ["lastRefusedAt"] = latest.At,
        };
        return Task.FromResult(HealthCheckResult.Degraded(
            $"Writes are failing: PostgreSQL refused one {(now - latest.At).TotalSeconds:0} s ago with {SqlStates.Describe(latest.SqlState)}. " +
            $"{SqlStates.WhatToDo(latest.SqlState)} This instance stays ready: every instance shares the database, and reads still work.",
            data: data));
    }
}
