using Npgsql;

namespace Widgetify.Scaling.Decisions;

/// <summary>The scaling decisions, for <c>GET /api/scaling</c> and the dashboard: this instance's last
/// <see cref="Capacity"/> in memory, and the whole fleet's in PostgreSQL (whichever instance led when each was taken).</summary>
public sealed class ScalingDecisionLog
{
    /// <summary>Decisions kept in memory.</summary>
    public const int Capacity = 100;

    private readonly DecisionStore store;
    private readonly Lock sync = new();
    private readonly LinkedList<ScalingDecisionRecord> recent = new();

    private readonly NpgsqlDataSource controlConnection;

    internal ScalingDecisionLog(NpgsqlDataSource controlConnection)
    {
        this.controlConnection = controlConnection;
        store = new DecisionStore(controlConnection);
    }

    /// <summary>Creates the autoscaler's tables if missing (safe when several instances start at once). The service runs
    /// it with its migrations, so that <see cref="ReadFleetAsync"/> finds the table before any leader has run, rather
    /// than failing (and putting an error in PostgreSQL's log) on every read of a dashboard.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    public Task EnsureTablesAsync(CancellationToken cancellationToken) => ScalingSchema.EnsureCreatedAsync(controlConnection, cancellationToken);

    /// <summary>Creates the autoscaler's tables if missing on <paramref name="owner"/>: the connection of the role that owns
    /// the schema, with which the service runs its migrations, when its own role may only read and write rows.</summary>
    /// <param name="owner">The schema owner's connection.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task that completes when the tables exist.</returns>
    public static Task CreateTablesAsync(NpgsqlDataSource owner, CancellationToken cancellationToken) =>
        ScalingSchema.EnsureCreatedAsync(owner, cancellationToken);

    /// <summary>This instance's decisions, newest first: what it decided while it led.</summary>
    public IReadOnlyList<ScalingDecisionRecord> Recent
    {
        get
        {
            lock (sync)
            {
                return [.. recent];
            }
        }
    }

    /// <summary>The fleet's newest decisions from the decisions table, newest first, falling back to <see cref="Recent"/>
    /// when PostgreSQL cannot be read (a dashboard during a database outage still shows what this instance knows).</summary>
    /// <param name="limit">How many at most; 1 to 1,000.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<ScalingDecisionRecord>> ReadFleetAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1_000);
        try
        {
            return await store.ReadRecentAsync(limit, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // Unreachable, or no leader has created the table yet (undefined_table is an NpgsqlException too).
            return [.. Recent.Take(limit)];
        }
    }

    internal void Add(ScalingDecisionRecord decision)
    {
        lock (sync)
        {
            recent.AddFirst(decision);
            if (recent.Count > Capacity)
            {
                recent.RemoveLast();
            }
        }
    }

    /// <summary>Replaces <paramref name="previous"/> (the same object that was added) by <paramref name="completed"/>.</summary>
    internal void Replace(ScalingDecisionRecord previous, ScalingDecisionRecord completed)
    {
        lock (sync)
        {
            var node = recent.Find(previous);
            if (node is not null)
            {
                node.Value = completed;
            }
        }
    }
}
