using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Widgetify.Postgres.Standbys;

/// <summary>
/// A streaming hot standby of a local <see cref="PostgresCluster"/>, in its own folder under the primary's
/// (<c>standbys/&lt;name&gt;/</c>, laid out like the primary's: <c>pg/</c>, <c>logs/</c>, <c>pg-credentials.json</c>,
/// <c>owner.pid</c>) and on its own loopback port. Made once with pg_basebackup and a replication slot, then reused:
/// started, attached to or adopted exactly as the primary is. Dispose (or <see cref="StopAsync"/>) stops it only
/// when this handle owns it.
/// </summary>
public sealed class PostgresStandby : IAsyncDisposable
{
    private static readonly TimeSpan StreamingPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly PostgresCluster primary;
    private readonly ClusterLayout layout;
    private readonly ServerHandle server;
    private readonly StandbyOptions options;
    private readonly ILogger logger;

    private PostgresStandby(
        PostgresCluster primary, string name, ClusterLayout layout, ServerHandle server, bool createdNow, StandbyOptions options, ILogger logger)
    {
        this.primary = primary;
        this.layout = layout;
        this.server = server;
        this.options = options;
        this.logger = logger;
        Name = name;
        SlotName = StandbyNames.SlotName(name);
        CreatedNow = createdNow;
    }

    /// <summary>The standby's name, such as <c>standby-1</c>; also its folder under <c>standbys/</c>.</summary>
    public string Name { get; }

    /// <summary>The standby's TCP port on 127.0.0.1.</summary>
    public int Port => server.Port;

    /// <summary>
    /// The standby's root folder (full path): <c>&lt;primary's DataDirectory&gt;/standbys/&lt;name&gt;</c>. Its PGDATA is
    /// <c>pg/</c> inside, which holds <c>standby.signal</c> as long as it is a standby.
    /// </summary>
    public string DataDirectory => layout.Root;

    /// <summary>The physical replication slot on the primary that keeps the WAL this standby still needs: <c>widgetify_&lt;name&gt;</c> with '_' for '-'.</summary>
    public string SlotName { get; }

    /// <summary>Role <c>widgetify</c>, database <c>widgetify</c>, on the standby's port: read-only, same password as on the primary.</summary>
    public string AppConnectionString => server.AppConnectionString;

    /// <summary>Superuser <c>widgetify_admin</c>, database <c>postgres</c>, on the standby's port.</summary>
    public string AdminConnectionString => server.AdminConnectionString;

    /// <summary>True when this handle started the standby's server or adopted it; only then does <see cref="StopAsync"/> stop it.</summary>
    public bool OwnsServer => server.OwnsServer;

    /// <summary>True when this <see cref="StartAsync"/> made the standby with a new base backup.</summary>
    public bool CreatedNow { get; }

    /// <summary>False once the server this handle found or started is gone (stopped, or killed). Checked on the process
    /// table, not over a connection, so a standby too busy to answer in time still counts as running.</summary>
    public bool IsRunning => server.IsRunning;

    /// <summary>True while any postmaster of this standby's folder lives: the one this handle holds, or one a supervisor's
    /// restart has started and whose <c>pg_ctl start</c> has not returned yet (crash recovery can take longer than a
    /// standby should stay away before it is given up). A standby with none is down for good until something starts it.</summary>
    public bool HasLivePostmaster => IsRunning || IsServerRunning(layout);

    /// <summary>The postmaster as this handle holds it (what a supervisor watches).</summary>
    internal ServerHandle Server => server;

    /// <summary>Where the standby's files are.</summary>
    internal ClusterLayout Layout => layout;

    /// <summary>The pid of the server this handle found or started.</summary>
    public int PostmasterPid => server.PostmasterPid;

    /// <summary>
    /// Makes the standby when its folder holds none (checking first that the primary, the disk and the port can
    /// take it), remakes it when it is stopped and its slot on the primary is gone or lost, then attaches to its
    /// running server or starts one, pointed at the primary's current port. Does not wait for streaming: see
    /// <see cref="WaitUntilStreamingAsync"/>.
    /// </summary>
    /// <param name="primary">The running primary to copy and follow.</param>
    /// <param name="name">1 to 48 lowercase letters, digits and '-', such as <c>standby-1</c>.</param>
    /// <param name="options">Port and timeouts; defaults when null.</param>
    /// <param name="logger">Receives base backup, start, attach and stop events; none when null.</param>
    /// <param name="cancellationToken">Cancels the start; a command in progress is killed.</param>
    /// <returns>A handle on the running standby.</returns>
    /// <exception cref="StandbyException">The standby could not be made or started; the message says why.</exception>
    public static async Task<PostgresStandby> StartAsync(
        PostgresCluster primary, string name, StandbyOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Widgetify's local PostgreSQL runs on Linux and macOS only.");
        }

        StandbyNames.Validate(name, nameof(name));
        options = (options ?? new StandbyOptions()).ValidatedCopy(nameof(options));
        logger ??= NullLogger.Instance;

        var layout = new ClusterLayout(StandbyNames.RootOf(primary.DataDirectory, name));
        var isNewFolder = !Directory.Exists(layout.Root);
        try
        {
            return await StartCoreAsync(primary, name, layout, options, logger, cancellationToken);
        }
        catch (Exception ex) when (ex is not StandbyException
                                   and (InvalidOperationException or TimeoutException or NpgsqlException or IOException or UnauthorizedAccessException))
        {
            throw new StandbyException(name, $"Standby '{name}' could not be started: {ex.Message}", ex);
        }
        finally
        {
            // A standby that was never made leaves no empty folder behind to be mistaken for one.
            if (isNewFolder && !layout.IsInitialized && Directory.Exists(layout.Root))
            {
                Directory.Delete(layout.Root, recursive: true);
            }
        }
    }

    /// <summary>
    /// Waits until the primary streams WAL to this standby: the WAL sender on its slot is in state <c>streaming</c>
    /// (caught up once, and following).
    /// </summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes once the standby streams.</returns>
    /// <exception cref="StandbyException">It did not stream in time, or its server stopped; the message holds what the
    /// primary shows of its slot and the end of the standby's log.</exception>
    public async Task WaitUntilStreamingAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        await using var connection = new NpgsqlConnection(ClusterDatabase.Unpooled(primary.AdminConnectionString));
        await connection.OpenAsync(cancellationToken);
        var deadline = options.TimeProvider.GetUtcNow() + timeout;
        while (true)
        {
            var slot = await ReplicationSlot.ReadAsync(connection, SlotName, cancellationToken);
            if (slot is { IsStreaming: true })
            {
                return;
            }

            var seen = slot?.Describe() ?? $"no slot {SlotName}";
            if (!IsRunning)
            {
                throw new StandbyException(
                    Name, $"Standby '{Name}' stopped before it streamed (the primary shows {seen}). Last lines of its log:{Environment.NewLine}{server.TailLog()}", null);
            }

            if (options.TimeProvider.GetUtcNow() >= deadline)
            {
                throw new StandbyException(
                    Name,
                    $"Standby '{Name}' on 127.0.0.1:{Port} did not stream from the primary within {timeout} (the primary shows {seen}). " +
                    $"Last lines of its log:{Environment.NewLine}{server.TailLog()}",
                    null);
            }

            await Task.Delay(StreamingPollInterval, options.TimeProvider, cancellationToken);
        }
    }

    /// <summary>
    /// Stops the standby's server (<c>pg_ctl stop -m fast</c>) when this handle owns it; its folder and slot stay,
    /// so a later <see cref="StartAsync"/> reuses it. Safe to call more than once.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting for the stop.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) => server.StopAsync(cancellationToken);

    /// <summary>
    /// Stops the standby, drops its slot on the primary (so that it no longer holds WAL or old rows there) and
    /// deletes its folder.
    /// </summary>
    /// <param name="cancellationToken">Cancels the removal.</param>
    /// <returns>A task that completes when the standby is gone.</returns>
    /// <exception cref="StandbyException">Another live process owns the standby's server.</exception>
    public async Task RemoveAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken);
        await RemoveFromDiskAsync(primary, Name, options, logger, cancellationToken);
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>
    /// Removes a standby by name, whether or not a handle on it exists: stops its server (unless another live
    /// process owns it), drops its slot, deletes its folder. A name with no folder only loses its leftover slot.
    /// </summary>
    internal static async Task RemoveFromDiskAsync(
        PostgresCluster primary, string name, StandbyOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var layout = new ClusterLayout(StandbyNames.RootOf(primary.DataDirectory, name));
        if (Directory.Exists(layout.Root))
        {
            using var startLock = await StartLock.AcquireAsync(layout.LockFile, options.StartTimeout, cancellationToken);
            await StopOrphanedServerAsync(primary, name, layout, cancellationToken);
            await DropSlotAsync(primary, name, options, logger, cancellationToken);
            Directory.Delete(layout.Root, recursive: true);
            return;
        }

        await DropSlotAsync(primary, name, options, logger, cancellationToken);
    }

    [UnsupportedOSPlatform("windows")]
    private static async Task<PostgresStandby> StartCoreAsync(
        PostgresCluster primary, string name, ClusterLayout layout, StandbyOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var runner = ProcessRunner.Instance;
        var initializer = new ClusterInitializer(primary.Binaries, layout, runner, logger);
        Directory.CreateDirectory(layout.Root);
        using var startLock = await StartLock.AcquireAsync(layout.LockFile, options.StartTimeout, cancellationToken);
        await initializer.PrepareLayoutAsync(cancellationToken);

        var limits = await HotStandbyLimits.ReadAsync(primary.AdminConnectionString, cancellationToken);
        var createdNow = await EnsureMadeAsync(primary, name, layout, initializer, limits, options, logger, cancellationToken);
        // Always the primary's: a copy written by an older version held the superuser password.
        var credentials = CopyCredentials(primary, layout);
        var repointed = await PrimaryConnInfo.PointAtAsync(layout, primary.Port, credentials.ReplicationPassword!, cancellationToken);
        if (repointed)
        {
            StandbyLog.Repointed(logger, name, primary.Port);
        }

        var server = await ServerHandle.AttachOrStartAsync(
            layout,
            new ServerController(primary.Binaries, layout, runner),
            // The primary's archiving: nothing is archived while the standby replays, and once promoted it archives where the primary did.
            limits.ServerOptions(layout.Root, options).With(primary.ArchiveSettings),
            credentials,
            logger,
            // A server that was already running read the old port; primary_conninfo takes effect on a reload.
            (started, token) => repointed && !started.StartedNow ? ReloadAsync(started.AdminConnectionString, token) : Task.CompletedTask,
            cancellationToken);
        return new PostgresStandby(primary, name, layout, server, createdNow, options, logger);
    }

    /// <summary>Reuses the standby on disk, or makes it (again) with a base backup.</summary>
    /// <returns>True when a base backup was taken.</returns>
    [UnsupportedOSPlatform("windows")]
    private static async Task<bool> EnsureMadeAsync(
        PostgresCluster primary,
        string name,
        ClusterLayout layout,
        ClusterInitializer initializer,
        HotStandbyLimits limits,
        StandbyOptions options,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var slotName = StandbyNames.SlotName(name);
        if (layout.IsInitialized)
        {
            if (!File.Exists(Path.Combine(layout.PgData, StandbyNames.SignalFileName)))
            {
                // Never overwrite a cluster that may have taken writes of its own.
                throw new StandbyException(
                    name,
                    $"'{layout.PgData}' holds a cluster without {StandbyNames.SignalFileName}, so it is no longer a standby (was it promoted?). " +
                    $"It is left as it is: move it away, or delete '{layout.Root}' to let a new standby be made there.",
                    null);
            }

            if (IsServerRunning(layout))
            {
                return false;
            }

            var slot = await ReplicationSlot.ReadAsync(primary.AdminConnectionString, slotName, cancellationToken);
            if (slot is { IsLost: false })
            {
                return false;
            }

            StandbyLog.Replacing(
                logger,
                name,
                slot is null
                    ? $"the primary has no slot {slotName} for it (the primary was made anew, or the slot was dropped)"
                    : $"its slot {slotName} was invalidated: it fell behind by more than the primary's max_slot_wal_keep_size");
            Directory.Delete(layout.PgData, recursive: true);
        }

        // A lost slot, or one left by an interrupted base backup or by a removal that could not reach the primary, would
        // count against max_replication_slots below and make pg_basebackup -C fail.
        await DropSlotAsync(primary, name, options, logger, cancellationToken);
        await CheckCanMakeAsync(primary, name, layout, options, cancellationToken);
        CopyCredentials(primary, layout);
        await initializer.CreateEmptyPgDataAsync(cancellationToken);

        StandbyLog.Creating(logger, name, layout.PgData, primary.Port, slotName);
        var started = options.TimeProvider.GetTimestamp();
        try
        {
            await BaseBackup.RunAsync(primary, layout, name, slotName, limits.PrimaryIsDurable, options, cancellationToken);
        }
        catch
        {
            // Neither half a copy nor a slot holding WAL for it may outlive the failure.
            await DropSlotAsync(primary, name, options, logger, CancellationToken.None);
            Directory.Delete(layout.PgData, recursive: true);
            throw;
        }

        StandbyLog.Created(logger, name, options.TimeProvider.GetElapsedTime(started).TotalSeconds);
        Debug.Assert(File.Exists(Path.Combine(layout.PgData, StandbyNames.SignalFileName)), "pg_basebackup -R writes standby.signal");
        return true;
    }

    private static async Task CheckCanMakeAsync(
        PostgresCluster primary, string name, ClusterLayout layout, StandbyOptions options, CancellationToken cancellationToken)
    {
        var capacity = await PrimaryCapacity.ReadAsync(primary.AdminConnectionString, cancellationToken);
        var freeBytes = new DriveInfo(layout.Root).AvailableFreeSpace;
        int? busyPort = options.Port is { } port && !FreePort.IsFree(port) ? port : null;
        var problems = StandbyPreflight.FindProblems(capacity, freeBytes, layout.Root, busyPort);
        if (problems.Count > 0)
        {
            throw new StandbyException(name, $"Standby '{name}' cannot be made: {string.Join("; ", problems)}.", null);
        }
    }

    /// <summary>The same roles with the same passwords exist on the standby (it is a copy), so it gets the same file.</summary>
    [UnsupportedOSPlatform("windows")]
    private static ClusterCredentials CopyCredentials(PostgresCluster primary, ClusterLayout layout)
    {
        primary.Credentials.Save(layout.CredentialsFile);
        return primary.Credentials;
    }

    private static async Task DropSlotAsync(PostgresCluster primary, string name, StandbyOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var slotName = StandbyNames.SlotName(name);
        if (await ReplicationSlot.DropIfExistsAsync(primary.AdminConnectionString, slotName, options.TimeProvider, cancellationToken))
        {
            StandbyLog.SlotDropped(logger, slotName);
        }
    }

    private static bool IsServerRunning(ClusterLayout layout) =>
        PostmasterPidFile.TryRead(layout.PostmasterPidFile) is { } pidFile && ProcessInspector.IsPostmasterFor(pidFile.Pid, layout.PgData);

    /// <summary>Stops a server no live handle owns (its owner is this process, or dead); refuses when another process owns it.</summary>
    private static async Task StopOrphanedServerAsync(PostgresCluster primary, string name, ClusterLayout layout, CancellationToken cancellationToken)
    {
        if (!IsServerRunning(layout))
        {
            return;
        }

        if (OwnerPidFile.TryRead(layout.OwnerPidFile) is { } owner && owner != Environment.ProcessId && ProcessInspector.IsAlive(owner))
        {
            throw new StandbyException(
                name, $"Standby '{name}' is running and belongs to process {owner}, which stops it; stop that process first, then remove the standby.", null);
        }

        var result = await new ServerController(primary.Binaries, layout, ProcessRunner.Instance).StopAsync(cancellationToken);
        if (IsServerRunning(layout))
        {
            ProcessRunner.EnsureSuccess(result);
        }
    }

    private static async Task ReloadAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ClusterDatabase.Unpooled(adminConnectionString));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
