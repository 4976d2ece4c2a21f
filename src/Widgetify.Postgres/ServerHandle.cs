using Microsoft.Extensions.Logging;

namespace Widgetify.Postgres;

/// <summary>
/// The postmaster of one layout as this process holds it: attached to, adopted from a dead owner, or started.
/// The primary and every standby are run through it, so ownership, stale pid files, port retries and the
/// stop-once rule are the same for all of them. The caller holds the layout's <see cref="StartLock"/>.
/// </summary>
internal sealed class ServerHandle
{
    private const int AutoPortAttempts = 3;

    private readonly ClusterLayout layout;
    private readonly ServerController controller;
    private readonly ILogger logger;
    private readonly PostgresClusterOptions options;
    private readonly Lock stopGate = new();
    private ServerState state;
    private Task? stopTask;
    private volatile bool stopRequested;

    private ServerHandle(
        ClusterLayout layout, ServerController controller, PostgresClusterOptions options, ILogger logger, ServerState state, ClusterCredentials credentials)
    {
        this.layout = layout;
        this.controller = controller;
        this.options = options;
        this.logger = logger;
        this.state = state;
        AdminConnectionString = ClusterDatabase.BuildAdminConnectionString(layout.SocketDirectory, state.Port, "postgres");
        AppConnectionString = ClusterDatabase.BuildConnectionString(state.Port, ClusterDatabase.AppUser, credentials.AppPassword, ClusterDatabase.AppDatabase);
    }

    public int Port => Volatile.Read(ref state).Port;

    public bool OwnsServer => Volatile.Read(ref state).OwnsServer;

    public bool StartedNow => Volatile.Read(ref state).StartedNow;

    public int PostmasterPid => Volatile.Read(ref state).PostmasterPid;

    /// <summary>True once <see cref="StopAsync"/> was called: a supervisor must not bring the server back.</summary>
    public bool StopRequested => stopRequested;

    public string AdminConnectionString { get; }

    public string AppConnectionString { get; }

    /// <summary>False once the postmaster this handle found or started is gone (stopped, or killed with kill -9).</summary>
    public bool IsRunning => ProcessInspector.IsPostmasterFor(PostmasterPid, layout.PgData);

    /// <summary>The folder the server runs in (its PGDATA).</summary>
    public string PgData => layout.PgData;

    /// <summary>
    /// Attaches to (or adopts) the server running for the layout, or starts one; then waits until it accepts logins
    /// and runs <paramref name="whenAccepting"/>. When either fails, a server this call owns is stopped again.
    /// </summary>
    public static async Task<ServerHandle> AttachOrStartAsync(
        ClusterLayout layout,
        ServerController controller,
        PostgresClusterOptions options,
        ClusterCredentials credentials,
        ILogger logger,
        Func<ServerHandle, CancellationToken, Task> whenAccepting,
        CancellationToken cancellationToken)
    {
        var state = FindRunningServer(layout, logger)
            ?? (options.AttachOnly
                ? throw new InvalidOperationException(
                    $"No PostgreSQL server runs for '{layout.PgData}' and this process only attaches to a running one: start it with the command that runs it.")
                : await StartServerAsync(layout, controller, options, logger, cancellationToken));
        var handle = new ServerHandle(layout, controller, options, logger, state, credentials);
        try
        {
            await ClusterDatabase.WaitUntilAcceptingAsync(handle.AdminConnectionString, options.StartTimeout, cancellationToken);
            await whenAccepting(handle, cancellationToken);
        }
        catch
        {
            // Do not leave a server behind that nobody holds a handle to.
            await handle.StopAsync(CancellationToken.None);
            throw;
        }

        return handle;
    }

    /// <summary>Stops the server (fast mode) when this handle owns it; a successful stop is remembered.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        stopRequested = true;
        lock (stopGate)
        {
            // A failed or cancelled stop may be tried again; a successful one is remembered.
            if (stopTask is null || stopTask.IsFaulted || stopTask.IsCanceled)
            {
                stopTask = StopCoreAsync(cancellationToken);
            }

            return stopTask;
        }
    }

    /// <summary>Last lines of the server log, or a note saying why there are none.</summary>
    public string TailLog() => controller.TailLog();

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        if (!OwnsServer)
        {
            Log.NotStoppingForeignServer(logger, Port);
            return;
        }

        var running = PostmasterPidFile.TryRead(layout.PostmasterPidFile);
        if (running is not null && ProcessInspector.IsPostmasterFor(running.Pid, layout.PgData))
        {
            if (running.Pid != PostmasterPid)
            {
                // Someone stopped our server and started a new one (with its own owner): leave it alone.
                Log.NotStoppingReplacedServer(logger, layout.Root, running.Pid);
                return;
            }

            Log.StoppingServer(logger, Port, layout.Root);
            // A frozen server (its processes SIGSTOPped: a debugger, a test, an operator's kill -STOP) keeps pg_ctl's
            // shutdown request pending until pg_ctl gives up, and the stop with it. Asked to stop, it is continued first:
            // every process of it, not only those seen stopped, since a SIGSTOP sent to all of them reaches each when it
            // is next scheduled, and one that had not stopped yet would stop after a SIGCONT sent only to the others (and
            // hang the shutdown again: a run of the suite saw it). A SIGCONT discards a stop still pending, and does nothing to a running process.
            int[] processes = [running.Pid, .. ProcessInspector.ChildrenOf(running.Pid)];
            var stopped = ProcessInspector.Stopped(processes);
            if (stopped.Count > 0)
            {
                Log.ContinuingStoppedServer(logger, Port, stopped.Count);
                ProcessInspector.Continue(processes);
            }

            var result = await controller.StopAsync(cancellationToken);
            if (!result.Succeeded && ProcessInspector.IsAlive(running.Pid))
            {
                ProcessRunner.EnsureSuccess(result);
            }

            Log.ServerStopped(logger, Port);
        }

        // Pooled connections point at a dead server now; a later server may reuse the port.
        ClusterDatabase.ClearPool(AdminConnectionString);
        ClusterDatabase.ClearPool(AppConnectionString);
        OwnerPidFile.DeleteIfCurrentProcess(layout.OwnerPidFile);
    }

    /// <summary>Brings back a server this handle owns that is no longer running (killed, crashed): a postmaster someone
    /// started again by hand for the same PGDATA is adopted (this process stops it later, as its own); otherwise the
    /// server's processes left behind are killed (they hold the shared memory a new postmaster refuses to start beside),
    /// and it is started again on the same port with the same options, and waited for until it accepts logins. Nothing
    /// when it runs, when it is not this handle's, or once a stop was asked for. Called by <see cref="Supervision.ServerSupervisor"/>,
    /// one call at a time per handle.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="InvalidOperationException">The start failed; the message has the end of the server log.</exception>
    public async Task<Recovery> RecoverAsync(CancellationToken cancellationToken)
    {
        if (stopRequested || !OwnsServer || IsRunning)
        {
            return Recovery.None;
        }

        var running = PostmasterPidFile.TryRead(layout.PostmasterPidFile);
        if (running is not null && running.Pid != PostmasterPid && ProcessInspector.IsPostmasterFor(running.Pid, layout.PgData))
        {
            OwnerPidFile.WriteCurrentProcess(layout.OwnerPidFile);
            Volatile.Write(ref state, state with { PostmasterPid = running.Pid, Port = running.Port });
            return running.Port == Port ? Recovery.Adopted : Recovery.AdoptedOnAnotherPort;
        }

        var orphans = ProcessInspector.ServerProcessesIn(layout.PgData);
        foreach (var orphan in orphans)
        {
            ProcessInspector.Kill(orphan);
        }

        // A SIGKILL is delivered at once but the process takes a moment to go, and until it has, its shared memory is still
        // attached (the new postmaster refuses to start beside it) and the old postmaster's pid still looks alive (its pid
        // file would be kept, and pg_ctl would refuse). Seen on a loaded machine: the restart failed while they exited.
        await WaitUntilGoneAsync([.. orphans, .. running is null ? (int[])[] : [running.Pid]], cancellationToken);
        if (running is not null && !ProcessInspector.IsAlive(running.Pid))
        {
            File.Delete(layout.PostmasterPidFile);
        }

        await controller.StartAsync(Port, options, cancellationToken);
        var started = PostmasterPidFile.TryRead(layout.PostmasterPidFile)
            ?? throw new InvalidOperationException($"pg_ctl reported a start but '{layout.PostmasterPidFile}' is missing.");
        OwnerPidFile.WriteCurrentProcess(layout.OwnerPidFile);
        Volatile.Write(ref state, state with { PostmasterPid = started.Pid });
        if (stopRequested)
        {
            // A stop was asked for while this start ran (the service stopping, the autoscaler removing this standby), and
            // may have looked before the new postmaster existed, finding nothing to stop: what this start launched would
            // outlive the service. It is stopped here; a second stop of a stopped server only fails quietly.
            await controller.StopAsync(CancellationToken.None);
            return Recovery.None;
        }

        await ClusterDatabase.WaitUntilAcceptingAsync(AdminConnectionString, options.StartTimeout, cancellationToken);

        // Idle pooled connections in this process point at the dead server: drop them rather than fail a request each.
        Npgsql.NpgsqlConnection.ClearAllPools();
        return Recovery.Restarted;
    }

    /// <summary>Waits, a few seconds at most, until every process of <paramref name="pids"/> has exited; the start that
    /// follows reports what is still in its way.</summary>
    private static async Task WaitUntilGoneAsync(IReadOnlyList<int> pids, CancellationToken cancellationToken)
    {
        for (var waited = TimeSpan.Zero; waited < KilledProcessesBound && pids.Any(ProcessInspector.IsAlive); waited += KilledProcessesPoll)
        {
            await Task.Delay(KilledProcessesPoll, cancellationToken);
        }
    }

    private static readonly TimeSpan KilledProcessesBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan KilledProcessesPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>True when the server's data directory is gone (deleted, a lost disk): no restart can bring it back.</summary>
    public bool DataLost => !File.Exists(Path.Combine(layout.PgData, "PG_VERSION"));

    /// <summary>Kills the postmaster of a server whose data is gone, and its backends, which may still run on deleted
    /// files and hold the port; nothing when it is gone already.</summary>
    public void KillLostServer()
    {
        var pid = PostmasterPid;
        if (!ProcessInspector.IsAlive(pid))
        {
            return;
        }

        foreach (var child in ProcessInspector.ChildrenOf(pid))
        {
            ProcessInspector.Kill(child);
        }

        ProcessInspector.Kill(pid);
    }

    /// <summary>Promotes this standby's server to a primary (<c>pg_ctl promote -w</c>).</summary>
    /// <exception cref="InvalidOperationException">pg_ctl failed; the message says why.</exception>
    public Task PromoteAsync(CancellationToken cancellationToken) => controller.PromoteAsync(cancellationToken);

    /// <summary>What <see cref="RecoverAsync"/> did.</summary>
    public enum Recovery
    {
        /// <summary>Nothing: the server runs, is not ours, or is being stopped.</summary>
        None,

        /// <summary>It was started again on its port.</summary>
        Restarted,

        /// <summary>Someone had started it again by hand on the same port; it is ours now.</summary>
        Adopted,

        /// <summary>Someone had started it again by hand on another port; it is ours now, but clients of the old port
        /// cannot reach it.</summary>
        AdoptedOnAnotherPort,
    }

    /// <summary>Attaches to (or adopts) a server already running for this PGDATA; removes a stale pid file.</summary>
    private static ServerState? FindRunningServer(ClusterLayout layout, ILogger logger)
    {
        var pidFile = PostmasterPidFile.TryRead(layout.PostmasterPidFile);
        if (pidFile is null)
        {
            return null;
        }

        if (!ProcessInspector.IsPostmasterFor(pidFile.Pid, layout.PgData))
        {
            // Left by a crash or reboot, its pid dead or reused: PostgreSQL would refuse to start while it exists.
            File.Delete(layout.PostmasterPidFile);
            Log.StalePidFileRemoved(logger, layout.PostmasterPidFile, pidFile.Pid);
            return null;
        }

        if (pidFile.Port == 0)
        {
            // Never delete the pid file of a live server: a second postmaster on the same PGDATA corrupts it.
            throw new InvalidOperationException(
                $"PostgreSQL (pid {pidFile.Pid}) is running for '{layout.PgData}' but '{layout.PostmasterPidFile}' names no port. " +
                $"Stop it with 'pg_ctl -D {layout.PgData} stop' and start again.");
        }

        var ownerPid = OwnerPidFile.TryRead(layout.OwnerPidFile);
        if (ownerPid is { } owner && (owner == Environment.ProcessId || ProcessInspector.IsAlive(owner)))
        {
            // The owner (maybe another handle in this very process) will stop it; we only use it.
            Log.AttachedToServer(logger, pidFile.Pid, pidFile.Port, layout.Root, owner);
            return new ServerState(pidFile.Port, pidFile.Pid, OwnsServer: false, StartedNow: false);
        }

        // The owner crashed and left an orphan server: adopt it, so someone stops it.
        Log.AdoptingOrphanServer(logger, pidFile.Pid, pidFile.Port, ownerPid);
        OwnerPidFile.WriteCurrentProcess(layout.OwnerPidFile);
        return new ServerState(pidFile.Port, pidFile.Pid, OwnsServer: true, StartedNow: false);
    }

    private static async Task<ServerState> StartServerAsync(
        ClusterLayout layout, ServerController controller, PostgresClusterOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var attempts = options.Port is null ? AutoPortAttempts : 1;
        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port ?? FreePort.Pick();
            Log.StartingServer(logger, port, layout.Root);
            try
            {
                await controller.StartAsync(port, options, cancellationToken);
            }
            catch (InvalidOperationException ex) when (attempt < attempts)
            {
                // Most likely the picked port was taken between picking and binding.
                Log.StartAttemptFailed(logger, ex, port, attempt, attempts);
                continue;
            }

            OwnerPidFile.WriteCurrentProcess(layout.OwnerPidFile);
            var pidFile = PostmasterPidFile.TryRead(layout.PostmasterPidFile)
                ?? throw new InvalidOperationException(
                    $"pg_ctl reported a start but '{layout.PostmasterPidFile}' is missing. Last lines of {layout.LogFile}:" +
                    $"{Environment.NewLine}{controller.TailLog()}");
            return new ServerState(port, pidFile.Pid, OwnsServer: true, StartedNow: true);
        }
    }
}
