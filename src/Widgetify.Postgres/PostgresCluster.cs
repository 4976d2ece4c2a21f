using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Widgetify.Postgres.Backups;

namespace Widgetify.Postgres;

/// <summary>
/// A local PostgreSQL server for one data directory: created with initdb on first use, started on a
/// loopback port, or attached to when it already runs. Dispose (or <see cref="StopAsync"/>) stops the
/// server only when this handle owns it.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly ServerHandle server;

    private PostgresCluster(
        ClusterLayout layout,
        PostgresBinaries binaries,
        ServerHandle server,
        bool createdNow,
        ClusterCredentials credentials,
        BackupLocation backups,
        IReadOnlyDictionary<string, string> archiveSettings)
    {
        Backups = backups;
        ArchiveSettings = archiveSettings;
        Layout = layout;
        Binaries = binaries;
        Credentials = credentials;
        this.server = server;
        CreatedNow = createdNow;
    }

    /// <summary>The root folder (full path) holding PGDATA, logs, credentials and owner.pid.</summary>
    public string DataDirectory => Layout.Root;

    /// <summary>The server's TCP port on 127.0.0.1.</summary>
    public int Port => server.Port;

    /// <summary>
    /// True when this handle started the server, or adopted it after its owner died; only then does
    /// <see cref="StopAsync"/> stop it.
    /// </summary>
    public bool OwnsServer => server.OwnsServer;

    /// <summary>True when initdb created the cluster during this <see cref="StartAsync"/>.</summary>
    public bool CreatedNow { get; }

    /// <summary>Superuser <c>widgetify_admin</c>, database <c>postgres</c>, over the server's Unix socket with peer
    /// authentication: no password; only root, the server's OS account and the user who started it may log in so.</summary>
    public string AdminConnectionString => server.AdminConnectionString;

    /// <summary>The runtime role <c>widgetify</c> (login, not superuser) on database <c>widgetify</c>, on 127.0.0.1: it may
    /// read and write rows of every table, but not create, alter or drop one.</summary>
    public string AppConnectionString => server.AppConnectionString;

    /// <summary>Where this cluster's WAL archive and base backups are.</summary>
    public BackupLocation Backups { get; }

    /// <summary>The archiving settings the primary runs with; its standbys run with the same, so a promoted one archives on.</summary>
    internal IReadOnlyDictionary<string, string> ArchiveSettings { get; }

    /// <summary>For migrations: the superuser over the Unix socket on database <c>widgetify</c>, acting as the owner role
    /// <c>widgetify_owner</c> (<c>SET ROLE</c> at login), so every object a migration creates is the owner's, and the
    /// runtime role gets its row privileges by default.</summary>
    public string MigrationConnectionString =>
        new Npgsql.NpgsqlConnectionStringBuilder(server.AdminConnectionString)
        {
            Database = ClusterDatabase.AppDatabase,
            Options = $"-c role={ClusterDatabase.OwnerUser}",
        }.ConnectionString;

    /// <summary>The postmaster as this handle holds it (what a supervisor watches).</summary>
    internal ServerHandle Server => server;

    /// <summary>Where the cluster's files are; standbys live under its root.</summary>
    internal ClusterLayout Layout { get; }

    /// <summary>The programs that made and run this cluster; its standbys are made and run by the same ones.</summary>
    internal PostgresBinaries Binaries { get; }

    /// <summary>The passwords of this cluster, which its standbys share (they are copies of it).</summary>
    internal ClusterCredentials Credentials { get; }

    /// <summary>
    /// Creates the cluster when the data directory has none, then attaches to its running server or starts one,
    /// and makes sure the roles (owner, runtime, replication) and the app database exist with their privileges.
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
        // Before anything is created or initialized: an attaching process leaves the folder as it is.
        if (options.AttachOnly && !layout.IsInitialized)
        {
            throw new InvalidOperationException(
                $"There is no PostgreSQL cluster in '{layout.PgData}' and this process only attaches to a running one: start it with the command that runs it.");
        }

        var runner = ProcessRunner.Instance;
        var binaries = await PostgresBinaries.ResolveAsync(options.BinDirectory, layout, cancellationToken);
        var backups = BackupLocation.For(layout.Root, options.BackupDirectory);
        IReadOnlyDictionary<string, string> archiveSettings = options.WalArchiving
            ? WalArchive.Settings(backups, options.Durable)
            : new Dictionary<string, string>();
        options = options.With(archiveSettings);
        var controller = new ServerController(binaries, layout, runner);
        var initializer = new ClusterInitializer(binaries, layout, runner, logger);

        Directory.CreateDirectory(layout.Root);
        using var startLock = await StartLock.AcquireAsync(layout.LockFile, options.StartTimeout, cancellationToken);
        await initializer.PrepareLayoutAsync(cancellationToken);
        if (options.WalArchiving)
        {
            await backups.EnsureCreatedAsync(runner, cancellationToken);
        }

        var createdNow = false;
        ClusterCredentials credentials;
        if (layout.IsInitialized)
        {
            credentials = ClusterCredentials.TryLoad(layout.CredentialsFile)
                ?? throw new InvalidOperationException(
                    $"'{layout.PgData}' holds a cluster but '{layout.CredentialsFile}' is missing, so the service cannot log in. " +
                    $"Restore the file, or delete '{layout.Root}' to create a new cluster.");
            if (credentials.NeedsRewrite)
            {
                // Written by a version before the role split: drop the superuser password (the role loses it below, at
                // EnsureRolesAndDatabaseAsync) and add the replication role's.
                credentials = credentials.WithoutAdminPassword();
                credentials.Save(layout.CredentialsFile);
            }
        }
        else
        {
            // Reuse passwords from an interrupted first run, so a config that already copied them stays valid.
            credentials = ClusterCredentials.TryLoad(layout.CredentialsFile) ?? ClusterCredentials.Generate();
            credentials.Save(layout.CredentialsFile);
            await initializer.InitializeAsync(options.Durable, cancellationToken);
            createdNow = true;
        }

        var server = await ServerHandle.AttachOrStartAsync(
            layout,
            controller,
            options,
            credentials,
            logger,
            (started, token) => ClusterDatabase.EnsureRolesAndDatabaseAsync(started.AdminConnectionString, credentials, logger, token),
            cancellationToken);
        if (server.StartedNow)
        {
            Log.ServerReady(logger, server.Port, layout.Root);
        }

        return new PostgresCluster(layout, binaries, server, createdNow, credentials, backups, archiveSettings);
    }

    /// <summary>
    /// Stops the server with <c>pg_ctl stop -m fast -w</c> when this handle owns it, and removes owner.pid;
    /// does nothing otherwise. Safe to call more than once.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting for the stop.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) => server.StopAsync(cancellationToken);

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public ValueTask DisposeAsync() => new(StopAsync());
}
