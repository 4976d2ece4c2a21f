namespace Widgetify.Observability.Database;

/// <summary>What PostgreSQL itself said about its connections and transactions at one moment.</summary>
public sealed record DatabaseSample
{
    /// <summary>When the sample was taken (this instance's clock).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Whether the server answered; all other members are empty when it did not.</summary>
    public required bool Up { get; init; }

    /// <summary>Why the sample failed, in a sentence; null when it succeeded.</summary>
    public string? Error { get; init; }

    /// <summary>The server answered, but refused a connection because it is full (<c>too_many_connections</c>, the
    /// state Feb 15 left it in): it is up, at its limit. The other members are those of the last full sample.</summary>
    public bool Full { get; init; }

    /// <summary>The server's <c>max_connections</c>.</summary>
    public int MaxConnections { get; init; }

    /// <summary>Client connections by state and <c>application_name</c> (<c>pg_stat_activity</c>).</summary>
    public IReadOnlyList<BackendCount> Backends { get; init; } = [];

    /// <summary>Transactions committed in this database since the statistics were reset (cumulative).</summary>
    public long Commits { get; init; }

    /// <summary>Transactions rolled back in this database (cumulative).</summary>
    public long Rollbacks { get; init; }

    /// <summary>Deadlocks detected in this database (cumulative).</summary>
    public long Deadlocks { get; init; }

    /// <summary>Age of the oldest open transaction of another session, in seconds; null when there is none.</summary>
    public double? LongestTransactionSeconds { get; init; }

    /// <summary>The server's replication slots, by name; empty on a standby (the sampler watches the primary).</summary>
    public IReadOnlyList<ReplicationSlotSample> ReplicationSlots { get; init; } = [];

    /// <summary>The server's <c>max_slot_wal_keep_size</c> in bytes, the most WAL a slot may keep before PostgreSQL
    /// invalidates it; null when unlimited (-1, PostgreSQL's default), so a slot whose standby is gone keeps WAL until
    /// the disk is full.</summary>
    public long? MaxSlotWalKeepSize { get; init; }

    /// <summary>The WAL archiver; null when the server does not archive (<c>archive_mode</c> off) or is in recovery.</summary>
    public WalArchiverSample? Archiver { get; init; }

    /// <summary>All client connections on the server.</summary>
    public long TotalConnections => Backends.Sum(b => b.Count);

    /// <summary>Client connections whose <c>application_name</c> starts with <paramref name="applicationPrefix"/>.</summary>
    /// <param name="applicationPrefix">E.g. <c>widgetify</c>, which also counts each instance's <c>widgetify-control</c>.</param>
    public long ConnectionsOf(string applicationPrefix) =>
        Backends.Where(b => b.ApplicationName.StartsWith(applicationPrefix, StringComparison.Ordinal)).Sum(b => b.Count);
}

/// <summary>Client connections in one state of one application.</summary>
/// <param name="State"><c>active</c>, <c>idle</c>, <c>idle in transaction</c>...; <c>unknown</c> when this role may not
/// see it (another role's session without <c>pg_read_all_stats</c>).</param>
/// <param name="ApplicationName">The session's <c>application_name</c>; empty when unset.</param>
/// <param name="Count">Connections.</param>
public sealed record BackendCount(string State, string ApplicationName, long Count);
