using System.Diagnostics;
using Widgetify.Postgres;

namespace Widgetify.Cli.Cluster;

/// <summary>A process of the fleet (an API instance or HAProxy), started in a session of its own with its output appended
/// to a log file. Its own session: Ctrl-C in the terminal signals the terminal's process group, and the fleet must stop in
/// order (instances drain, then the balancer, then PostgreSQL), which only the coordinating process can do.</summary>
internal sealed class FleetProcess : IDisposable
{
    private readonly Process _process;

    private FleetProcess(Process process, string logFile)
    {
        _process = process;
        LogFile = logFile;
    }

    public int Id => _process.Id;

    public string LogFile { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code; 128 + the signal's number when a signal ended it (137: SIGKILL).</summary>
    public int ExitCode => _process.ExitCode;

    public static FleetProcess Start(string logFile, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> command)
    {
        var folder = Path.GetDirectoryName(logFile)!;
        Directory.CreateDirectory(folder);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("'cluster up' runs on Linux (setsid, HAProxy).");
        }

        // Also a folder an earlier version made 0755.
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (File.Exists(logFile))
        {
            // A log made before the umask below: owner-only as well.
            File.SetUnixFileMode(logFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // setsid execs (its caller is not a group leader), and so does the shell: the pid is the program's own. umask 077:
        // the log (and anything the program creates) is the owner's only; an instance's log may hold what it printed.
        var start = new ProcessStartInfo(File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : "setsid") { UseShellExecute = false };
        foreach (var argument in (string[])["sh", "-c", "umask 077; exec \"$@\" >> \"$0\" 2>&1", logFile, .. command])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new FleetProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command[0]}."), logFile);
    }

    /// <summary><see cref="ProcessSignal.Terminate"/> (a clean stop: an instance drains), <see cref="ProcessSignal.User1"/>
    /// (HAProxy's soft stop) or <see cref="ProcessSignal.Kill"/>.</summary>
    public void Signal(int signal)
    {
        if (_process.HasExited)
        {
            return;
        }

        ProcessSignal.Send(Id, signal); // false: it ended meanwhile, which is what a stop wants anyway
    }

    /// <summary>Waits until it exits, at most <paramref name="bound"/>; then kills it.</summary>
    /// <returns>True when it exited by itself.</returns>
    public async Task<bool> WaitForExitAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Signal(ProcessSignal.Kill);
            await _process.WaitForExitAsync(CancellationToken.None);
            return false;
        }
    }

    /// <summary>The end of its log, for an error message that says why it did not start.</summary>
    public string LogTail(int lines = 15)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public void Dispose() => _process.Dispose();
}
