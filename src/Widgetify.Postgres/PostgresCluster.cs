using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Widgetify.Postgres;

/// <summary>
/// A local PostgreSQL server for one data directory: created with initdb on first use, started on a
/// loopback port, or attached to when it already runs. Dispose (or <see cref="StopAsync"/>) stops the
/// server only when this handle owns it.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private const int AutoPortAttempts = 3;

    private readonly ClusterLayout layout;
    private readonly ServerController controller;
    private readonly ILogger logger;
    private readonly int postmasterPid;
    private readonly Lock stopGate = new();
    private Task? stopTask;

    private PostgresCluster(
        ClusterLayout layout, ServerController controller, ILogger logger, ServerState state, bool createdNow, ClusterCredentials credentials)
    {
        this.layout = layout;
        this.controller = controller;
        this.logger = logger;
        postmasterPid = state.PostmasterPid;
        Port = state.Port;
        OwnsServer = state.OwnsServer;
        CreatedNow = createdNow;
        AdminConnectionString = BuildConnectionString(state.Port, ClusterDatabase.AdminUser, credentials.AdminPassword, "postgres");
        AppConnectionString = BuildConnectionString(state.Port, ClusterDatabase.AppUser, credentials.AppPassword, ClusterDatabase.AppDatabase);
    }

    /// <summary>The root folder (full path) holding PGDATA, logs, credentials and owner.pid.</summary>
    public string DataDirectory => layout.Root;

    /// <summary>The server's TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>
    /// True when this handle started the server, or adopted it after its owner died; only then does
    /// <see cref="StopAsync"/> stop it.
    /// </summary>
    public bool OwnsServer { get; }

    /// <summary>True when initdb created the cluster during this <see cref="StartAsync"/>.</summary>
    public bool CreatedNow { get; }

    /// <summary>Superuser <c>widgetify_admin</c>, database <c>postgres</c>, on 127.0.0.1.</summary>
    public string AdminConnectionString { get; }

    /// <summary>Role <c>widgetify</c> (login, not superuser), database <c>widgetify</c> that it owns, on 127.0.0.1.</summary>
    public string AppConnectionString { get; }

    /// <summary>
    /// Creates the cluster when the data directory has none, then attaches to its running server or starts one,
    /// and makes sure the app role and database exist.
    /// </summary>
    /// <param name="options">Where the cluster lives and how to run it.</param>
    /// <param name="logger">Receives initdb, start, attach and stop events; none when null.</param>
    /// <param name="cancellationToken">Cancels the start; a command in progress is killed.</param>
    /// <returns>A handle on the running server.</returns>
    /// <exception cref="InvalidOperationException">initdb or pg_ctl failed; the message says what to check.</exception>
    public static async Task<PostgresCluster> StartAsync(
        PostgresClusterOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Widgetify's local PostgreSQL runs on Linux and macOS only.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataDirectory, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.StartTimeout, TimeSpan.Zero, nameof(options));
        if (options.Port is { } requestedPort)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(requestedPort, 1, nameof(options));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(requestedPort, 65535, nameof(options));
        }

        logger ??= NullLogger.Instance;
        var layout = new ClusterLayout(options.DataDirectory);
        var runner = ProcessRunner.Instance;
        var binaries = await PostgresBinaries.ResolveAsync(options.BinDirectory, cancellationToken);
        var controller = new ServerController(binaries, layout, runner);
        var initializer = new ClusterInitializer(binaries, layout, runner, logger);

        Directory.CreateDirectory(layout.Root);
        using var startLock = await StartLock.AcquireAsync(layout.LockFile, options.StartTimeout, cancellationToken);
        await initializer.PrepareLayoutAsync(cancellationToken);

        var createdNow = false;
        ClusterCredentials credentials;
        if (layout.IsInitialized)
        {
            credentials = ClusterCredentials.TryLoad(layout.CredentialsFile)
                ?? throw new InvalidOperationException(
                    $"'{layout.PgData}' holds a cluster but '{layout.CredentialsFile}' is missing, so nobody can log in. " +
                    $"Restore the file, or delete '{layout.Root}' to create a new cluster.");
        }
        else
        {
            // Reuse passwords from an interrupted first run, so a config that already copied them stays valid.
            credentials = ClusterCredentials.TryLoad(layout.CredentialsFile) ?? ClusterCredentials.Generate();
            credentials.Save(layout.CredentialsFile);
            await initializer.InitializeAsync(credentials, options.Durable, cancellationToken);
            createdNow = true;
        }

        var state = FindRunningServer(layout, logger) ?? await StartServerAsync(layout, controller, options, logger, cancellationToken);
        var cluster = new PostgresCluster(layout, controller, logger, state, createdNow, credentials);
        try
        {
            await ClusterDatabase.WaitUntilAcceptingAsync(cluster.AdminConnectionString, options.StartTimeout, cancellationToken);
            await ClusterDatabase.EnsureAppRoleAndDatabaseAsync(cluster.AdminConnectionString, credentials.AppPassword, logger, cancellationToken);
        }
        catch
        {
            // Do not leave a server behind that nobody holds a handle to.
            await cluster.StopAsync(CancellationToken.None);
            throw;
        }

        if (state.StartedNow)
        {
            Log.ServerReady(logger, state.Port, layout.Root);
        }

        return cluster;
    }

    /// <summary>
    /// Stops the server with <c>pg_ctl stop -m fast -w</c> when this handle owns it, and removes owner.pid;
    /// does nothing otherwise. Safe to call more than once.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting for the stop.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
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

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public ValueTask DisposeAsync() => new(StopAsync());

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
            if (running.Pid != postmasterPid)
            {
                // Someone stopped our server and started a new one (with its own owner): leave it alone.
                Log.NotStoppingReplacedServer(logger, layout.Root, running.Pid);
                return;
            }

            Log.StoppingServer(logger, Port, layout.Root);
            var result = await controller.StopAsync(cancellationToken);
            if (!result.Succeeded && ProcessInspector.IsAlive(running.Pid))
            {
                ProcessRunner.EnsureSuccess(result);
            }

            Log.ServerStopped(logger, Port);
        }

        // Pooled connections point at a dead server now; a later server may reuse the port.
        ClearPool(AdminConnectionString);
        ClearPool(AppConnectionString);
        OwnerPidFile.DeleteIfCurrentProcess(layout.OwnerPidFile);
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

    private static string BuildConnectionString(int port, string user, string password, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = user,
            Password = password,
            Database = database,
        }.ConnectionString;

    private static void ClearPool(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        NpgsqlConnection.ClearPool(connection);
    }
}
