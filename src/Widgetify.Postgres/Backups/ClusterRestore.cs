using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Widgetify.Postgres.Backups;

/// <summary>
/// Point-in-time restore of the embedded cluster: the newest base backup before the target, then the archived WAL
/// replayed up to the target, after which the server promotes itself onto a new timeline. The cluster that was there is
/// moved aside, never deleted.
/// </summary>
public static partial class ClusterRestore
{
    private const string TargetNotReached = "recovery ended before configured recovery target was reached";

    /// <summary>Restores the cluster in <see cref="RestoreOptions.DataDirectory"/>; its server must be stopped.</summary>
    /// <param name="options">What to restore, and where.</param>
    /// <param name="logger">Receives progress; none when null.</param>
    /// <param name="cancellationToken">Cancels the restore (the server it started is stopped).</param>
    /// <returns>What was restored.</returns>
    /// <exception cref="RestoreRefusedException">Nothing was changed: the server runs, or no backup reaches the target.</exception>
    /// <exception cref="InvalidOperationException">The replay failed; the message has the end of the server log.</exception>
    public static async Task<RestoreResult> RestoreAsync(RestoreOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Widgetify's local PostgreSQL runs on Linux and macOS only.");
        }

        var clock = Stopwatch.StartNew();
        var layout = new ClusterLayout(options.DataDirectory);
        var location = BackupLocation.For(layout.Root);
        RefuseWhileRunning(layout);
        var backup = ChooseBackup(location, options);
        if (ClusterCredentials.TryLoad(layout.CredentialsFile) is null)
        {
            throw new RestoreRefusedException(
                $"'{layout.CredentialsFile}' is missing: the restored cluster's logins are the ones it holds. Put the file back, then restore again.");
        }

        var runner = ProcessRunner.Instance;
        // The backup's own version runs the replay (the PG_VERSION pin): a backup can only be restored by the version that wrote it.
        var binaries = await PostgresBinaries.ResolveForVersionAsync(backup.PostgresVersion, layout, cancellationToken);
        var movedAside = MoveAside(layout, options.TimeProvider.GetUtcNow());
        LogMovedAside(logger, layout.Root, movedAside ?? "(nothing was there)");

        var initializer = new ClusterInitializer(binaries, layout, runner, logger);
        await initializer.PrepareLayoutAsync(cancellationToken);
        await initializer.CreateEmptyPgDataAsync(cancellationToken);
        await ExtractAsync(runner, backup, layout, cancellationToken);
        if (movedAside is not null)
        {
            await CopyUnarchivedWalAsync(runner, Path.Combine(movedAside, "pg", "pg_wal"), location, layout, cancellationToken);
        }

        await ServerUserFile.WriteAsync(Path.Combine(layout.PgData, "recovery.signal"), string.Empty, runner, cancellationToken);
        var controller = new ServerController(binaries, layout, runner);
        var reachedTarget = true;
        RecoveryEnd end;
        try
        {
            end = await ReplayAsync(controller, layout, location, options, options.Target, logger, cancellationToken);
        }
        catch (TargetNotReachedException)
        {
            // No commit after the target is in the WAL, so everything there is, is exactly the state at the target.
            reachedTarget = false;
            LogTargetBeyondWal(logger, options.Target!.Value);
            end = await ReplayAsync(controller, layout, location, options, null, logger, cancellationToken);
        }

        return new RestoreResult(backup, options.Target, reachedTarget, end.LastReplayed, end.Timeline, movedAside, clock.Elapsed);
    }

    private static void RefuseWhileRunning(ClusterLayout layout)
    {
        var standbys = Path.Combine(layout.Root, "standbys");
        var pgDatas = Directory.Exists(standbys)
            ? Directory.EnumerateDirectories(standbys).Select(standby => Path.Combine(standby, "pg")).Prepend(layout.PgData)
            : [layout.PgData];
        foreach (var pgData in pgDatas)
        {
            if (PostmasterPidFile.TryRead(Path.Combine(pgData, "postmaster.pid")) is { } running && ProcessInspector.IsPostmasterFor(running.Pid, pgData))
            {
                var owner = OwnerPidFile.TryRead(Path.Combine(Path.GetDirectoryName(pgData)!, "owner.pid"));
                throw new RestoreRefusedException(
                    $"PostgreSQL is running for '{pgData}' (pid {running.Pid}{(owner is { } o ? $", started by pid {o}" : "")}): a restore replaces its files, " +
                    $"so stop it first: Ctrl-C in the terminal of './widgetify up'{(owner is { } p ? $", or 'kill -TERM {p}'" : "")}, then run the restore again.");
            }
        }
    }

    private static BackupManifest ChooseBackup(BackupLocation location, RestoreOptions options)
    {
        var backups = ClusterBackups.List(location);
        if (backups.Count == 0)
        {
            throw new RestoreRefusedException(
                $"There is no backup in '{location.BaseDirectory}' to restore from. Take one with './widgetify backup' (it also runs while 'up' does).");
        }

        var now = options.TimeProvider.GetUtcNow();
        if (options.Target is { } future && future > now)
        {
            throw new RestoreRefusedException(
                $"--to {Format(future)} is in the future (it is {Format(now)} now): give a past time, or 'latest' for everything archived.");
        }

        if (options.BackupId is { } id)
        {
            var chosen = backups.FirstOrDefault(b => b.Id == id)
                ?? throw new RestoreRefusedException($"There is no backup '{id}'; './widgetify backup list' shows them: {string.Join(", ", backups.Select(b => b.Id))}.");
            return options.Target is { } target && target < chosen.FinishedAt
                ? throw new RestoreRefusedException(
                    $"--to {Format(target)} is before backup {id} finished ({Format(chosen.FinishedAt)}), so it cannot reach that time: pick an older backup or a later time.")
                : chosen;
        }

        var oldest = backups[^1];
        return backups.FirstOrDefault(b => options.Target is not { } target || b.FinishedAt <= target)
            ?? throw new RestoreRefusedException(
                $"--to {Format(options.Target!.Value)} is before the oldest backup ({oldest.Id}, finished {Format(oldest.FinishedAt)}): nothing can restore to it. " +
                $"Choose a time after {Format(oldest.FinishedAt)} ('./widgetify backup list' shows every backup).");
    }

    /// <summary>Moves PGDATA and the standbys into <c>before-restore-&lt;UTC&gt;/</c>: renames on one file system, so instant and complete.</summary>
    private static string? MoveAside(ClusterLayout layout, DateTimeOffset now)
    {
        var standbys = Path.Combine(layout.Root, "standbys");
        if (!Directory.Exists(layout.PgData) && !Directory.Exists(standbys))
        {
            return null;
        }

        var aside = Path.Combine(layout.Root, $"before-restore-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}");
        for (var n = 2; Directory.Exists(aside); n++)
        {
            aside = Path.Combine(layout.Root, $"before-restore-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{n}");
        }

        Directory.CreateDirectory(aside);
        if (Directory.Exists(layout.PgData))
        {
            Directory.Move(layout.PgData, Path.Combine(aside, "pg"));
        }

        // The standbys copied the old history; the next 'up --replicas N' makes them again from the restored primary.
        if (Directory.Exists(standbys))
        {
            Directory.Move(standbys, Path.Combine(aside, "standbys"));
        }

        return aside;
    }

    private static async Task ExtractAsync(ProcessRunner runner, BackupManifest backup, ClusterLayout layout, CancellationToken cancellationToken)
    {
        // As the server user, so every file is the server's, with the modes the backup recorded.
        ProcessRunner.EnsureSuccess(await runner.RunServerCommandAsync(
            "tar", ["-xf", Path.Combine(backup.Folder, "base.tar"), "-C", layout.PgData], layout.Root, cancellationToken));
        ProcessRunner.EnsureSuccess(await runner.RunServerCommandAsync(
            "tar", ["-xf", Path.Combine(backup.Folder, "pg_wal.tar"), "-C", Path.Combine(layout.PgData, "pg_wal")], layout.Root, cancellationToken));
    }

    /// <summary>
    /// The segments the old cluster wrote but had not archived yet (up to archive_timeout of work): copied into the new
    /// pg_wal, as PostgreSQL's documentation advises, so "latest" really is the latest. The archive's copy wins when both exist.
    /// </summary>
    private static async Task CopyUnarchivedWalAsync(
        ProcessRunner runner, string oldWal, BackupLocation location, ClusterLayout layout, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(oldWal))
        {
            return;
        }

        var newWal = Path.Combine(layout.PgData, "pg_wal");
        var unarchived = Directory.EnumerateFiles(oldWal)
            .Where(file => SegmentName().IsMatch(Path.GetFileName(file)))
            .Where(file => !File.Exists(Path.Combine(location.WalDirectory, Path.GetFileName(file))) && !File.Exists(Path.Combine(newWal, Path.GetFileName(file))))
            .ToList();
        if (unarchived.Count > 0)
        {
            ProcessRunner.EnsureSuccess(await runner.RunServerCommandAsync("cp", ["-p", "-t", newWal, .. unarchived], layout.Root, cancellationToken));
        }
    }

    private static async Task<RecoveryEnd> ReplayAsync(
        ServerController controller,
        ClusterLayout layout,
        BackupLocation location,
        RestoreOptions options,
        DateTimeOffset? target,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>(WalArchive.Settings(location, options.Durable))
        {
            ["restore_command"] = WalArchive.RestoreCommand(location.WalDirectory),
            ["recovery_target_timeline"] = "latest",
            ["recovery_target_action"] = "promote",
            // No logins until the replay is over: nobody reads a half-restored state, and a login then means "done".
            ["hot_standby"] = "off",
        };
        if (target is { } time)
        {
            settings["recovery_target_time"] = Format(time);
        }

        // On the command line, not in postgresql.auto.conf: the next start must not recover again.
        var serverOptions = new PostgresClusterOptions { DataDirectory = layout.Root, Durable = options.Durable, StartTimeout = options.Timeout }.With(settings);
        var port = FreePort.Pick();
        LogReplaying(logger, target is { } t ? Format(t) : "the end of the archived WAL", port);
        try
        {
            await controller.StartAsync(port, serverOptions, cancellationToken);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains(TargetNotReached, StringComparison.Ordinal))
        {
            throw new TargetNotReachedException();
        }

        try
        {
            return await WaitForPromotionAsync(controller, layout, port, options, cancellationToken);
        }
        finally
        {
            // A server that died (target not reached) has nothing to stop; why it ended was read from its log.
            await controller.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<RecoveryEnd> WaitForPromotionAsync(
        ServerController controller, ClusterLayout layout, int port, RestoreOptions options, CancellationToken cancellationToken)
    {
        var connectionString = BackupConnection.Administration(layout, port);
        // A real server replays in real time: the wait is measured on the machine's clock, the injected one only dates things.
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (PostmasterPidFile.TryRead(layout.PostmasterPidFile) is not { } running || !ProcessInspector.IsPostmasterFor(running.Pid, layout.PgData))
            {
                var tail = controller.TailLog();
                throw tail.Contains(TargetNotReached, StringComparison.Ordinal)
                    ? new TargetNotReachedException()
                    : new InvalidOperationException($"PostgreSQL stopped while replaying the backup in '{layout.PgData}'. Last lines of {layout.LogFile}:{Environment.NewLine}{tail}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand(
                    "SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp(), pg_walfile_name(pg_current_wal_lsn())", connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                if (!reader.GetBoolean(0))
                {
                    DateTimeOffset? last = reader.IsDBNull(1) ? null : new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero);
                    var timeline = int.Parse(reader.GetString(2)[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    return new RecoveryEnd(last, timeline);
                }
            }
            catch (NpgsqlException)
            {
                // Still replaying (hot_standby off: "the database system is starting up"), or the server just died: checked above.
            }

            if (waited.Elapsed > options.Timeout)
            {
                throw new InvalidOperationException(
                    $"The replay in '{layout.PgData}' did not finish within {options.Timeout}: the server was stopped and its files kept; " +
                    "restore again with a larger timeout, or look at the server log.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff'+00'", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[0-9A-F]{24}$")]
    private static partial Regex SegmentName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Moved the cluster in {Root} aside to {Aside}")]
    private static partial void LogMovedAside(ILogger logger, string root, string aside);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying the archived WAL up to {Target} on 127.0.0.1:{Port}")]
    private static partial void LogReplaying(ILogger logger, string target, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "No transaction after {Target} is in the WAL: restoring all of it, which is the state at that time")]
    private static partial void LogTargetBeyondWal(ILogger logger, DateTimeOffset target);

    private sealed record RecoveryEnd(DateTimeOffset? LastReplayed, int Timeline);

    private sealed class TargetNotReachedException : Exception;
}
