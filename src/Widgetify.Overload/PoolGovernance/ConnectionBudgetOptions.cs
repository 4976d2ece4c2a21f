using System.ComponentModel.DataAnnotations;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>Settings of the fleet-wide connection budget (configuration section <c>Widgetify:ConnectionBudget</c>).
/// The budget is what PostgreSQL can afford: <c>max_connections - superuser_reserved_connections -
/// reserved_connections - </c><see cref="ReservedForOtherClients"/>, shared by every live instance.</summary>
public sealed class ConnectionBudgetOptions : IValidatableObject
{
    /// <summary>Whether the budget bounds the pool. Off, the pool is whatever the connection string says
    /// (the storm benchmark turns it off to reproduce Feb 15).</summary>
    /// <value>Default true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Connections left for everything that is not Widgetify: psql sessions, monitoring, backups, migrations by hand.</summary>
    /// <value>Default 10; range 0 to 10,000.</value>
    [Range(0, 10_000)]
    public int ReservedForOtherClients { get; set; } = 10;

    /// <summary>How often an instance renews its lease, re-reads the server's limits and recomputes its share.</summary>
    /// <value>Default 2 s; range 100 ms to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A lease not renewed for this long has expired: its instance is presumed dead and its share is
    /// given back to the others. Must exceed several heartbeat intervals.</summary>
    /// <value>Default 10 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The rule single-field ranges cannot state: a live instance's lease must outlast a late heartbeat.
    /// Both the configuration validator and <see cref="PoolGovernor"/> apply it.</summary>
    /// <param name="validationContext">Unused.</param>
    /// <returns>The broken rules, if any.</returns>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LeaseDuration < 2 * HeartbeatInterval)
        {
            yield return new ValidationResult(
                $"Widgetify:ConnectionBudget:LeaseDuration ({LeaseDuration}) must be at least twice HeartbeatInterval " +
                $"({HeartbeatInterval}), or one late heartbeat " +
                "expires a live instance's lease: raise LeaseDuration or lower HeartbeatInterval.",
                [nameof(LeaseDuration), nameof(HeartbeatInterval)]);
        }
    }
}
