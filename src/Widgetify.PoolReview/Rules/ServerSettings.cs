namespace Widgetify.PoolReview.Rules;

/// <summary>What the service would run with against one server, read from its configuration (never from a running
/// process): the pool, its timeouts and the room kept for other clients.</summary>
public sealed record ServerSettings
{
    /// <summary><c>primary</c>, or the standby's name (<c>Database:Replicas:N:Name</c>, else <c>replica-N</c>).</summary>
    public required string Server { get; init; }

    /// <summary>Whether this is the primary.</summary>
    public bool IsPrimary => Server == History.PoolHistory.PrimaryServer;

    /// <summary>The pool's upper bound per instance; null when nothing sets it and the pool follows the connection
    /// budget (the default).</summary>
    public int? MaxPoolSize { get; init; }

    /// <summary>Where <see cref="MaxPoolSize"/> is set, by its full name.</summary>
    public required string MaxPoolSizeSetting { get; init; }

    /// <summary>Whether a budget bounds the pool at run time (<c>ConnectionBudget:Enabled</c> on the primary; a
    /// standby's gate always does).</summary>
    public bool BudgetEnforced { get; init; } = true;

    /// <summary>Connections the budget leaves for clients that are not Widgetify.</summary>
    public required int ReservedForOtherClients { get; init; }

    /// <summary>Where <see cref="ReservedForOtherClients"/> is set.</summary>
    public required string ReservedForOtherClientsSetting { get; init; }

    /// <summary>Npgsql's <c>Timeout</c>: the connect and pool wait (<c>Database:ConnectTimeoutSeconds</c>).</summary>
    public required int ConnectTimeoutSeconds { get; init; }

    /// <summary>Npgsql's <c>Command Timeout</c> (<c>Database:CommandTimeoutSeconds</c>).</summary>
    public required int CommandTimeoutSeconds { get; init; }

    /// <summary>Npgsql's <c>Connection Lifetime</c> in seconds (its default is an hour); 0 never recycles a busy connection.</summary>
    public int ConnectionLifetimeSeconds { get; init; } = 3600;

    /// <summary>Npgsql's <c>Connection Idle Lifetime</c> in seconds (default 300).</summary>
    public int ConnectionIdleLifetimeSeconds { get; init; } = 300;

    /// <summary>Where the connection string (and so the lifetimes) is set.</summary>
    public required string ConnectionStringSetting { get; init; }
}
