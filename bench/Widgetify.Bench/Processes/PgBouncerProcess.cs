using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;
using Widgetify.Postgres;

namespace Widgetify.Bench.Processes;

/// <summary>
/// A PgBouncer (the Debian package) in transaction pooling mode in front of the embedded PostgreSQL, as the
/// usual "put a pooler in front" answer to Feb 15 would deploy it. When the bench is root it runs as the
/// <c>postgres</c> OS user (it refuses to run as root) from a folder that user owns, like the embedded PostgreSQL
/// (see <see cref="ProcessRunner.RunServerCommandsAsPostgres"/>); otherwise as the bench's own user. It is
/// stopped with SIGTERM (immediate shutdown).
/// </summary>
internal sealed class PgBouncerProcess : IAsyncDisposable
{
    /// <summary>PgBouncer's own default: server connections per user/database pair.</summary>
    public const int DefaultPoolSize = 20;

    public const int MaxClientConnections = 5000;

    private readonly Process process;
    private readonly string directory;

    private PgBouncerProcess(Process process, string directory, int port, string clientConnectionString)
    {
        this.process = process;
        this.directory = directory;
        Port = port;
        ClientConnectionString = clientConnectionString;
    }

    public int Port { get; }

    /// <summary>The started process: pgbouncer itself, or runuser with pgbouncer as its child.</summary>
    public int ProcessId => process.Id;

    /// <summary>What the service connects with: the app role through PgBouncer. Npgsql's DISCARD ALL on close
    /// would be sent to whichever server connection the next transaction gets, so it is turned off
    /// (<c>No Reset On Close</c>), as Npgsql's docs advise behind a transaction-mode pooler.</summary>
    public string ClientConnectionString { get; }

    public string LogPath => Path.Combine(directory, "pgbouncer.log");

    public static async Task<PgBouncerProcess> StartAsync(string appConnectionString, string workDirectory, CancellationToken cancellationToken)
    {
        var app = new NpgsqlConnectionStringBuilder(appConnectionString);
        var directory = Path.Combine(workDirectory, "pgbouncer");
        Directory.CreateDirectory(directory);
        var port = FreePort.Pick();
        var ini = Path.Combine(directory, "pgbouncer.ini");
        var userlist = Path.Combine(directory, "userlist.txt");
        await File.WriteAllTextAsync(ini, Ini(app, port, directory, userlist), cancellationToken);
        // A plain-text password lets PgBouncer answer the client's SCRAM exchange and run its own with PostgreSQL.
        await File.WriteAllTextAsync(userlist, $"\"{app.Username}\" \"{app.Password}\"\n", cancellationToken);
        File.SetUnixFileMode(userlist, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var asPostgres = ProcessRunner.Instance.RunServerCommandsAsPostgres;
        if (asPostgres)
        {
            await UnixAccount.ChownToPostgresAsync([directory, ini, userlist], cancellationToken);
        }

        // Wrapped as ProcessRunner.RunServerCommandAsync wraps pg_ctl, but left running in the foreground until DisposeAsync.
        string[] command = asPostgres
            ? ["runuser", "-u", ProcessRunner.PostgresUser, "--", PgBouncerExecutable(), ini]
            : [PgBouncerExecutable(), ini];
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command[1..])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var client = new NpgsqlConnectionStringBuilder(appConnectionString)
        {
            Port = port,
            NoResetOnClose = true,
        }.ConnectionString;
        var bouncer = new PgBouncerProcess(process, directory, port, client);
        try
        {
            await bouncer.WaitUntilServingAsync(TimeSpan.FromSeconds(15), cancellationToken);
            return bouncer;
        }
        catch
        {
            await bouncer.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilServingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        Exception? last = null;
        while (Stopwatch.GetTimestamp() < until)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"pgbouncer exited with code {process.ExitCode}. Last lines of {LogPath}:{Environment.NewLine}{LogTail.Read(LogPath)}");
            }

            try
            {
                // A real query through the pooler proves the whole path: listen, client SCRAM, server login.
                var probe = new NpgsqlConnectionStringBuilder(ClientConnectionString) { Pooling = false, Timeout = 3 }.ConnectionString;
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                last = ex;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new InvalidOperationException(
            $"pgbouncer did not serve queries within {timeout.TotalSeconds:0} s ({last?.Message}). Last lines of {LogPath}:{Environment.NewLine}{LogTail.Read(LogPath)}");
    }

    private static string Ini(NpgsqlConnectionStringBuilder app, int port, string directory, string userlist) =>
        string.Create(CultureInfo.InvariantCulture, $"""
            [databases]
            {app.Database} = host=127.0.0.1 port={app.Port} dbname={app.Database}

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {port}
            unix_socket_dir =
            auth_type = scram-sha-256
            auth_file = {userlist}
            pool_mode = transaction
            default_pool_size = {DefaultPoolSize}
            max_client_conn = {MaxClientConnections}
            ignore_startup_parameters = extra_float_digits
            logfile = {Path.Combine(directory, "pgbouncer.log")}
            pidfile = {Path.Combine(directory, "pgbouncer.pid")}
            log_connections = 0
            log_disconnections = 0

            """);

    private static string PgBouncerExecutable()
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/usr/bin"]))
        {
            var candidate = Path.Combine(folder, "pgbouncer");
            if (folder.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("pgbouncer is not installed: 'apt-get install pgbouncer' (./widgetify bench installs it).");
    }

    /// <summary>SIGTERM to pgbouncer itself (runuser, if any, only waits for it), then waits for the started process to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        var pidFile = Path.Combine(directory, "pgbouncer.pid");
        if (!process.HasExited && File.Exists(pidFile)
            && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            ChildProcesses.Terminate(pid);
        }

        await ChildProcesses.StopAsync(process, TimeSpan.FromSeconds(10));
        process.Dispose();
    }
}
