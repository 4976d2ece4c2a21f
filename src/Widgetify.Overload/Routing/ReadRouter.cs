using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Core.Deadlines;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Routing;

/// <summary>Sends reads to the standbys and everything else to the primary. A read goes to the ready standby with the
/// most room (<see cref="ReadRouting"/>); one that carries a consistency token goes only where its write has been
/// replayed; with no ready standby it goes to the primary. A read that fails because of its standby (gone, recovery
/// conflict, full) is retried once elsewhere, so a standby killed mid-read costs no client an error. The standbys'
/// state comes from <see cref="ReadServerMonitor"/>, which checks them every <see cref="ReplicaOptions.PollInterval"/>.
/// Standbys come and go while it runs (<see cref="Add"/>, <see cref="DrainAsync"/>).</summary>
public sealed partial class ReadRouter : IAsyncDisposable
{
    /// <summary>The primary's name in <see cref="Servers"/>.</summary>
    public const string PrimaryName = "primary";

    private readonly ReplicaOptions options;
    private readonly Func<RequestDeadline?, CancellationToken, ValueTask<NpgsqlConnection>> openPrimary;
    private readonly string applicationName;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly RoutingMetrics? metrics;
    private readonly Lock membership = new();
    private ReadServer[] standbys = [];
    private uint rotation;
    private long primaryReads;

    /// <summary>Creates a router with no standby: every read goes to the primary until one is added.</summary>
    /// <param name="options">Routing settings; copied.</param>
    /// <param name="openPrimary">Opens a connection to the primary within this instance's budget share.</param>
    /// <param name="applicationName">The <c>application_name</c> this instance's standby connections show.</param>
    /// <param name="timeProvider">Measures lag and paces waits.</param>
    /// <param name="loggerFactory">Creates the router's logger.</param>
    /// <param name="metrics">Observes the router; none when null.</param>
    public ReadRouter(
        ReplicaOptions options, Func<RequestDeadline?, CancellationToken, ValueTask<NpgsqlConnection>> openPrimary,
        string applicationName, TimeProvider timeProvider, ILoggerFactory loggerFactory, RoutingMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(openPrimary);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        this.options = new ReplicaOptions
        {
            MaxLag = options.MaxLag,
            PollInterval = options.PollInterval,
            ProbeTimeout = options.ProbeTimeout,
            TokenWait = options.TokenWait,
            ReservedForOtherClients = options.ReservedForOtherClients,
        };
        this.openPrimary = openPrimary;
        this.applicationName = applicationName;
        this.timeProvider = timeProvider;
        logger = loggerFactory.CreateLogger<ReadRouter>();
        this.metrics = metrics;
        metrics?.Attach(this);
    }

    internal ReplicaOptions Options => options;

    internal TimeProvider TimeProvider => timeProvider;

    internal ILogger Logger => logger;

    /// <summary>The primary's WAL positions as the monitor sampled them.</summary>
    internal PrimaryWalHistory PrimaryHistory { get; } = new();

    /// <summary>The standbys now, in the order they were added.</summary>
    internal IReadOnlyList<ReadServer> Standbys => Volatile.Read(ref standbys);

    /// <summary>Reads that completed on the primary.</summary>
    internal long PrimaryReads => Interlocked.Read(ref primaryReads);

    /// <summary>Every server this instance reads from, the primary first.</summary>
    /// <param name="primary">How the primary is reached and what share of it this instance holds.</param>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<ReadServerStatus> Servers(ReadServerStatus primary)
    {
        ArgumentNullException.ThrowIfNull(primary);
        return [primary with { ReadsServed = PrimaryReads }, .. StandbyStatuses()];
    }

    /// <summary>The standbys as this instance sees them now, in the order they were added.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<ReadServerStatus> StandbyStatuses() =>
        [.. Standbys.Select(standby => new ReadServerStatus(
            standby.Name, "standby", standby.Host, standby.Port, standby.State, standby.Lag, standby.ReadsServed, standby.InFlight,
            standby.Gate.Limit, standby.Problem) { Waiting = standby.Gate.Waiting })];

    /// <summary>The standbys taking reads now (ready or lagging), by name, with the connection string each was added with:
    /// what the service's own pool review reads, standbys added at run time included.</summary>
    /// <returns>A snapshot, in the order they were added.</returns>
    public IReadOnlyList<(string Name, string ConnectionString)> ServingStandbys() =>
        [.. Standbys.Where(s => s.State is ReadServerState.Ready or ReadServerState.Lagging).Select(s => (s.Name, s.ConnectionString))];

    /// <summary>Checks every standby each <see cref="ReplicaOptions.PollInterval"/> until cancelled: reachable, still a
    /// standby, how far behind, what share of its connections this instance may use. Only checked standbys take reads.</summary>
    /// <param name="primary">A connection to the primary, for its WAL position (the budget's control connection).</param>
    /// <param name="instances">How many instances share each server's connections.</param>
    /// <param name="cancellationToken">Ends the checks.</param>
    /// <returns>A task that completes when cancelled.</returns>
    public Task RunChecksAsync(NpgsqlDataSource primary, Func<int> instances, CancellationToken cancellationToken) =>
        new ReadServerMonitor(this, primary, instances).RunAsync(cancellationToken);

    /// <summary>Adds a standby; it takes reads once a check finds it streaming within the allowed lag. Adding a name
    /// that is already there with the same connection string does nothing; with another one (a local standby restarted
    /// on a new port) the old entry is replaced and its connections closed.</summary>
    /// <param name="name">A name unique among the standbys.</param>
    /// <param name="connectionString">How to reach it, with the app's credentials.</param>
    /// <returns>True when it was added or replaced.</returns>
    public bool Add(string name, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var server = new ReadServer(name, connectionString, applicationName);
        ReadServer? replaced;
        lock (membership)
        {
            replaced = Array.Find(standbys, s => s.Name == name);
            if (replaced is not null && replaced.ConnectionString == server.ConnectionString)
            {
                _ = server.DisposeAsync().AsTask();
                return false;
            }

            standbys = [.. standbys.Where(s => s.Name != name), server];
        }

        if (replaced is not null)
        {
            _ = replaced.DisposeAsync().AsTask(); // reads still on it finish; their connections close as they return
        }

        LogAdded(logger, name);
        return true;
    }

    /// <summary>Takes a standby out of rotation, waits for this instance's reads on it to finish (at most
    /// <paramref name="timeout"/>), then forgets it and closes its connections. What stops the server is not the
    /// router's business.</summary>
    /// <param name="name">The standby.</param>
    /// <param name="timeout">The longest a read may still run there.</param>
    /// <param name="cancellationToken">Stops waiting; the standby is removed anyway.</param>
    /// <returns>Reads still running when the wait ended (0 after a clean drain); -1 when there is no such standby.</returns>
    public async Task<int> DrainAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var server = Array.Find(Volatile.Read(ref standbys), s => s.Name == name);
        if (server is null)
        {
            return -1;
        }

        server.MoveTo(ReadServerState.Draining, "leaving: scale-in");
        LogDraining(logger, name, server.InFlight);
        try
        {
            // Reads end by themselves (each has a deadline); the timeout only bounds a read that ignores its own.
            await server.Drained.WaitAsync(timeout, timeProvider, cancellationToken);
        }
        catch (Exception exception) when (exception is TimeoutException || (exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
        }

        var left = server.InFlight;
        await RemoveAsync(server);
        LogRemoved(logger, name, left);
        return left;
    }

    /// <summary>Runs <paramref name="read"/> on the server routing picks, retrying it once on another server when it
    /// failed because of its standby.</summary>
    /// <typeparam name="T">What the read returns.</typeparam>
    /// <param name="read">The read; it may run twice, so it must not write.</param>
    /// <param name="token">The client's consistency token, if it sent one: the read then sees that write.</param>
    /// <param name="deadline">The request's deadline; null outside a request.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>What the read returned.</returns>
    public async Task<T> ReadAsync<T>(
        Func<NpgsqlConnection, CancellationToken, Task<T>> read, ConsistencyToken? token, RequestDeadline? deadline,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        ReadServer? failed = null;
        for (var attempt = 1; ; attempt++)
        {
            var (server, mustWait) = Choose(token, failed);
            if (server is null)
            {
                return await ReadOnPrimaryAsync(read, deadline, cancellationToken);
            }

            server.ReadStarted();
            var served = false;
            var notReplayed = false;
            try
            {
                await using var connection = await OpenStandbyAsync(server, deadline, cancellationToken);
                if (!mustWait || await ReplayReachedAsync(connection, server, token!.Value, cancellationToken))
                {
                    var result = await read(connection, cancellationToken);
                    served = true;
                    return result;
                }

                notReplayed = true;
            }
            catch (Exception exception) when (attempt == 1 && !cancellationToken.IsCancellationRequested
                && deadline?.Token.IsCancellationRequested != true && ReadFailures.IsRetryable(exception))
            {
                if (ReadFailures.IsServerGone(exception) && server.MoveTo(ReadServerState.Down, exception.Message) is not null)
                {
                    server.Pool.Clear();
                    server.Probe.Clear();
                    LogDownOnRead(logger, server.Name, exception.Message);
                }

                LogRetried(logger, server.Name, exception.Message);
                metrics?.RecordRetry(server.Name);
                failed = server;
            }
            finally
            {
                server.ReadEnded(served);
            }

            if (notReplayed)
            {
                // The standby had not replayed the client's write in time: the primary has it.
                return await ReadOnPrimaryAsync(read, deadline, cancellationToken);
            }
        }
    }

    private async Task<T> ReadOnPrimaryAsync<T>(
        Func<NpgsqlConnection, CancellationToken, Task<T>> read, RequestDeadline? deadline, CancellationToken cancellationToken)
    {
        await using var primary = await openPrimary(deadline, cancellationToken);
        var result = await read(primary, cancellationToken);
        Interlocked.Increment(ref primaryReads);
        return result;
    }

    private (ReadServer? Server, bool MustWait) Choose(ConsistencyToken? token, ReadServer? exclude)
    {
        var servers = Volatile.Read(ref standbys);
        if (servers.Length == 0)
        {
            return (null, false);
        }

        var candidates = new ReadCandidate[servers.Length];
        for (var i = 0; i < servers.Length; i++)
        {
            candidates[i] = ReferenceEquals(servers[i], exclude) ? default : servers[i].AsCandidate();
        }

        var choice = ReadRouting.Choose(candidates, token, Interlocked.Increment(ref rotation));
        return choice.IsPrimary ? (null, false) : (servers[choice.Standby], choice.MustWait);
    }

    private async Task<NpgsqlConnection> OpenStandbyAsync(ReadServer server, RequestDeadline? deadline, CancellationToken cancellationToken)
    {
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked?.Token ?? cancellationToken;
        if (!server.Gate.TryAcquire())
        {
            try
            {
                await server.Gate.WaitAsync(token);
            }
            catch (OperationCanceledException ex) when (deadline?.Token.IsCancellationRequested == true)
            {
                throw new OperationCanceledException(
                    $"It was waiting for one of the {server.Gate.Limit} connection(s) of this instance's share of standby " +
                    $"'{server.Name}', all of which stayed in use. Add standbys (Widgetify:Scaling:MaxReplicas), raise the " +
                    string.Create(CultureInfo.InvariantCulture, $"standby's max_connections, or raise {deadline.Setting} (currently {deadline.Budget.TotalSeconds:0.###} s)."),
                    new TimeoutException("The standby's connection share stayed full until the request's deadline.", ex),
                    deadline.Token);
            }
        }

        var connection = await server.Gate.OpenHeldAsync(server.Pool, token);
        _ = new GateSlot(server.Gate, connection, timeProvider.GetTimestamp(), onReleased: null);
        return connection;
    }

    /// <summary>Waits, on the connection the read will use, until the standby has replayed the token's position, for at
    /// most <see cref="ReplicaOptions.TokenWait"/>. PostgreSQL 15 has no replay-wait function, so it asks every 5 ms:
    /// replay on a healthy standby is a matter of milliseconds.</summary>
    private async Task<bool> ReplayReachedAsync(
        NpgsqlConnection connection, ReadServer server, ConsistencyToken token, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        await using var command = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn()", connection);
        while (true)
        {
            if (await command.ExecuteScalarAsync(cancellationToken) is NpgsqlTypes.NpgsqlLogSequenceNumber replayed)
            {
                server.Observe(replayed, server.Lag);
                if (token.IsCoveredBy(replayed))
                {
                    return true;
                }
            }

            if (timeProvider.GetElapsedTime(started) >= options.TokenWait)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), timeProvider, cancellationToken);
        }
    }

    private async Task RemoveAsync(ReadServer server)
    {
        lock (membership)
        {
            standbys = Array.FindAll(standbys, s => !ReferenceEquals(s, server));
        }

        await server.DisposeAsync();
    }

    /// <summary>Closes every standby's connections.</summary>
    /// <returns>A task that completes once closed.</returns>
    public async ValueTask DisposeAsync()
    {
        metrics?.Detach(this);
        ReadServer[] all;
        lock (membership)
        {
            all = standbys;
            standbys = [];
        }

        foreach (var server in all)
        {
            await server.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Standby {Name} added; it takes reads once a check finds it streaming within Widgetify:Database:Replicas:MaxLag")]
    private static partial void LogAdded(ILogger logger, string name);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Standby {Name} draining: no new reads, {InFlight} still running")]
    private static partial void LogDraining(ILogger logger, string name, int inFlight);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Standby {Name} removed from routing ({Left} read(s) still running when the drain ended)")]
    private static partial void LogRemoved(ILogger logger, string name, int left);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Standby {Name} is down (a read failed: {Reason}); out of rotation until a check finds it healthy")]
    private static partial void LogDownOnRead(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "A read failed on standby {Name} ({Reason}) and is retried once on another server")]
    private static partial void LogRetried(ILogger logger, string name, string reason);
}
