using Npgsql;
using NpgsqlTypes;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Routing;

/// <summary>One standby as this instance uses it: its own pool and gate (its own connection budget, not the
/// primary's), one probe connection for the checks, and what the last check saw. Written by the monitor and by reads
/// that fail on it; read by every routing decision, so each field is read and written whole.</summary>
internal sealed class ReadServer : IAsyncDisposable
{
    private long replayed;
    private long readsServed;
    private int inFlight;
    private int state = (int)ReadServerState.Starting;
    private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long lagBytes;
    private long lagTicks;

    public ReadServer(string name, string connectionString, string applicationName)
    {
        Name = name;
        ConnectionString = connectionString;
        var csb = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName };
        Host = csb.Host ?? "";
        Port = csb.Port;
        // The gate, not the pool, bounds what is used (its limit follows the standby's budget); the pool only needs
        // to be able to hold as much as the gate ever admits.
        csb.MaxPoolSize = Math.Max(csb.MaxPoolSize, 1);
        Pool = new NpgsqlDataSourceBuilder(csb.ConnectionString) { Name = "widgetify-read-" + name }.Build();
        var probe = new NpgsqlConnectionStringBuilder(csb.ConnectionString) { MaxPoolSize = 1, MinPoolSize = 0, ApplicationName = applicationName + "-probe" };
        Probe = new NpgsqlDataSourceBuilder(probe.ConnectionString) { Name = "widgetify-probe-" + name }.Build();
    }

    public string Name { get; }

    /// <summary>The connection string it was added with.</summary>
    public string ConnectionString { get; }

    public string Host { get; }

    public int Port { get; }

    public NpgsqlDataSource Pool { get; }

    /// <summary>The checks' own connection, so a full pool never hides a healthy server (nor a dead one).</summary>
    public NpgsqlDataSource Probe { get; }

    /// <summary>This instance's share of the standby's connections; 0 until the first check has read its limits.</summary>
    public ConnectionGate Gate { get; } = new(0);

    public ReadServerState State => (ReadServerState)Volatile.Read(ref state);

    public NpgsqlLogSequenceNumber Replayed => new((ulong)Interlocked.Read(ref replayed));

    public ReplicationLag Lag => new(Interlocked.Read(ref lagBytes), TimeSpan.FromTicks(Interlocked.Read(ref lagTicks)));

    public int InFlight => Volatile.Read(ref inFlight);

    public long ReadsServed => Interlocked.Read(ref readsServed);

    /// <summary>Why it is out of rotation, for the log and <c>GET /api/scaling</c>; null while ready.</summary>
    public string? Problem { get; private set; }

    /// <summary>Moves to <paramref name="next"/> unless draining (a drain ends only in removal).</summary>
    /// <returns>The state it left, or null when nothing changed.</returns>
    public ReadServerState? MoveTo(ReadServerState next, string? problem)
    {
        Problem = problem;
        while (true)
        {
            var current = Volatile.Read(ref state);
            if (current == (int)next || (current == (int)ReadServerState.Draining && next != ReadServerState.Draining))
            {
                return null;
            }

            if (Interlocked.CompareExchange(ref state, (int)next, current) == current)
            {
                if (next == ReadServerState.Draining && InFlight == 0)
                {
                    drained.TrySetResult();
                }

                return (ReadServerState)current;
            }
        }
    }

    public void Observe(NpgsqlLogSequenceNumber replayedPosition, ReplicationLag currentLag)
    {
        // Replay only moves forward; a check answered before a later one must not move it back.
        var value = (long)(ulong)replayedPosition;
        long seen;
        do
        {
            seen = Interlocked.Read(ref replayed);
        }
        while (value > seen && Interlocked.CompareExchange(ref replayed, value, seen) != seen);

        Interlocked.Exchange(ref lagBytes, currentLag.Bytes);
        Interlocked.Exchange(ref lagTicks, currentLag.Time.Ticks);
    }

    public void ReadStarted() => Interlocked.Increment(ref inFlight);

    public void ReadEnded(bool served)
    {
        if (served)
        {
            Interlocked.Increment(ref readsServed);
        }

        if (Interlocked.Decrement(ref inFlight) == 0 && State == ReadServerState.Draining)
        {
            drained.TrySetResult();
        }
    }

    /// <summary>Completes once the server is draining and its last read has ended.</summary>
    public Task Drained => drained.Task;

    public ReadCandidate AsCandidate() => new(State, InFlight, Gate.Limit, Replayed);

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync();
        await Probe.DisposeAsync();
    }
}
