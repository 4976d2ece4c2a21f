namespace Widgetify.Overload.PoolGovernance;

/// <summary>This instance's part of the fleet-wide connection budget, as of its last renewal.</summary>
public sealed record PoolBudgetSnapshot
{
    /// <summary>The Max Pool Size the app's settings ask for, or, when they set none (<see cref="FollowsBudget"/>), the
    /// budget less this instance's own connections (control and listener); also what this instance's lease wants.</summary>
    public required int ConfiguredMaxPoolSize { get; init; }

    /// <summary>Whether no Max Pool Size is set, so the pool asks for what the budget allows rather than a fixed size.</summary>
    public bool FollowsBudget { get; init; }

    /// <summary>The Max Pool Size to build the app's Npgsql pool with: the configured size, but never more than the
    /// budget less this instance's own connections (control and listener). At least 1 once started, because Npgsql needs one (<see cref="Share"/>
    /// still bounds what is used); 0 before <see cref="PoolGovernor.StartAsync"/>.</summary>
    public required int AppliedMaxPoolSize { get; init; }

    /// <summary>Connections the server allows the whole fleet, control connections and listeners included; null when the budget is
    /// disabled or not read yet.</summary>
    public required int? Budget { get; init; }

    /// <summary>Connections this instance may hold from now on through <see cref="PoolGovernor.OpenConnectionAsync(Npgsql.NpgsqlDataSource, System.Threading.CancellationToken)"/>.</summary>
    public required int Share { get; init; }

    /// <summary>This instance's max-min fair share; <see cref="Share"/> reaches it once peers have given back what
    /// they hold above theirs.</summary>
    public required int Target { get; init; }

    /// <summary>Live instances sharing the budget, this one included.</summary>
    public required int Instances { get; init; }

    /// <summary>The server's limits as last read; null when the budget is disabled or not read yet.</summary>
    public required ServerConnectionLimits? ServerLimits { get; init; }

    /// <summary>This instance's key in the lease table.</summary>
    public required Guid InstanceId { get; init; }

    /// <summary>What was configured, what was applied and why, in a sentence naming the settings to change.</summary>
    public required string Reason { get; init; }

    /// <summary>Whether this instance holds a lease renewed within the lease duration.</summary>
    public required bool LeaseValid { get; init; }

    /// <summary>When the database recorded the last renewal (database clock); null before the first.</summary>
    public required DateTimeOffset? LastRenewedAt { get; init; }
}
