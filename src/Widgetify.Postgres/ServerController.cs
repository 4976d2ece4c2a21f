using System.Globalization;

namespace Widgetify.Postgres;

/// <summary>Starts and stops the postmaster with pg_ctl, as the postgres user when we are root.</summary>
internal sealed class ServerController
{
    private const int LogTailLines = 20;

    private readonly PostgresBinaries binaries;
    private readonly ClusterLayout layout;
    private readonly ProcessRunner runner;

    public ServerController(PostgresBinaries binaries, ClusterLayout layout, ProcessRunner runner)
    {
        this.binaries = binaries;
        this.layout = layout;
        this.runner = runner;
    }

    /// <summary>Runs <c>pg_ctl start -w</c>; throws with the end of the server log when it fails.</summary>
    public async Task StartAsync(int port, PostgresClusterOptions options, CancellationToken cancellationToken)
    {
        var timeoutSeconds = Math.Max(1, (int)Math.Ceiling(options.StartTimeout.TotalSeconds));
        await ClusterAccess.PrepareAsync(layout, runner, cancellationToken);
        var result = await runner.RunServerCommandAsync(
            binaries.PgCtl,
            [
                "-D", layout.PgData,
                "-l", layout.LogFile,
                "-w",
                "-t", timeoutSeconds.ToString(CultureInfo.InvariantCulture),
                "start",
                "-o", ServerOptionsBuilder.Build(port, options, layout.SocketDirectory),
            ],
            layout.Root,
            cancellationToken);
        if (result.Succeeded)
        {
            return;
        }

        // A timed-out start leaves a postmaster behind that would block the retry (and the next run).
        await StopImmediatelyIfRunningAsync(cancellationToken);
        throw new InvalidOperationException(
            $"pg_ctl could not start PostgreSQL on 127.0.0.1:{port} for '{layout.PgData}' (exit code {result.ExitCode}): " +
            $"{(result.StandardError.Trim().Length > 0 ? result.StandardError.Trim() : result.StandardOutput.Trim())}{Environment.NewLine}" +
            $"Check that port {port} is free, that '{layout.PgData}' is owned by the user running the server " +
            $"({(runner.RunServerCommandsAsPostgres ? ProcessRunner.PostgresUser : "this user")}) with mode 0700 and its parent folders " +
            "can be entered, and that no leftover server from an earlier run still uses this data directory." +
            $"{Environment.NewLine}Last lines of {layout.LogFile}:{Environment.NewLine}{TailLog()}");
    }

    /// <summary>Runs <c>pg_ctl stop -m fast -w</c>: rolls back open transactions and disconnects clients, then checkpoints.</summary>
    public Task<ProcessResult> StopAsync(CancellationToken cancellationToken) =>
        runner.RunServerCommandAsync(binaries.PgCtl, ["-D", layout.PgData, "stop", "-m", "fast", "-w"], layout.Root, cancellationToken);

    /// <summary>Runs <c>pg_ctl promote -w</c>: the standby ends recovery and takes writes.</summary>
    public async Task PromoteAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunServerCommandAsync(binaries.PgCtl, ["-D", layout.PgData, "promote", "-w"], layout.Root, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"pg_ctl could not promote the standby in '{layout.PgData}' (exit code {result.ExitCode}): {result.StandardError.Trim()}{result.StandardOutput.Trim()}");
        }
    }

    /// <summary>Last lines of the server log, or a note saying why there are none.</summary>
    public string TailLog() => LogTail.Read(layout.LogFile, LogTailLines);

    private async Task StopImmediatelyIfRunningAsync(CancellationToken cancellationToken)
    {
        var pidFile = PostmasterPidFile.TryRead(layout.PostmasterPidFile);
        if (pidFile is not null && ProcessInspector.IsPostmasterFor(pidFile.Pid, layout.PgData))
        {
            await runner.RunServerCommandAsync(binaries.PgCtl, ["-D", layout.PgData, "stop", "-m", "immediate", "-w"], layout.Root, cancellationToken);
        }
    }
}
