namespace Widgetify.PoolReview.Rules;

/// <summary>What one live server said about its limits and timeouts, read in one round trip.</summary>
public sealed record ServerFacts
{
    /// <summary><c>primary</c> or the standby's name.</summary>
    public required string Server { get; init; }

    /// <summary>Host and port, for the report; never the password.</summary>
    public string Address { get; init; } = "";

    /// <summary><c>max_connections</c>.</summary>
    public required int MaxConnections { get; init; }

    /// <summary><c>superuser_reserved_connections</c>.</summary>
    public int SuperuserReservedConnections { get; init; }

    /// <summary><c>reserved_connections</c> (PostgreSQL 16 and later; 0 before).</summary>
    public int ReservedConnections { get; init; }

    /// <summary>Client connections now that are not Widgetify's (nor the review's own).</summary>
    public int OtherClients { get; init; }

    /// <summary><c>statement_timeout</c> in milliseconds; 0 is off.</summary>
    public long StatementTimeoutMs { get; init; }

    /// <summary><c>idle_in_transaction_session_timeout</c> in milliseconds; 0 is off.</summary>
    public long IdleInTransactionSessionTimeoutMs { get; init; }

    /// <summary><c>idle_session_timeout</c> in milliseconds (PostgreSQL 14 and later); 0 is off.</summary>
    public long IdleSessionTimeoutMs { get; init; }

    /// <summary>The server's <c>ssl</c> setting.</summary>
    public bool Ssl { get; init; }

    /// <summary>The server's CPU cores when known (a server on this machine); null otherwise.</summary>
    public int? CpuCores { get; init; }

    /// <summary>The connections an ordinary role may open: <c>max_connections - superuser_reserved_connections -
    /// reserved_connections</c>.</summary>
    public int AcceptsForOrdinaryRoles => Math.Max(0, MaxConnections - SuperuserReservedConnections - ReservedConnections);
}
