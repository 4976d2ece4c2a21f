using System.Diagnostics;

namespace Widgetify.Postgres;

/// <summary>Looks at other processes through /proc: is a pid alive, and is it the postmaster of a given PGDATA.</summary>
internal static class ProcessInspector
{
    /// <summary>True when <paramref name="pid"/> names a running process (zombies count as dead).</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        if (Directory.Exists("/proc/self"))
        {
            var stat = TryRead($"/proc/{pid}/stat");
            if (stat is null)
            {
                return false;
            }

            return State(stat) != 'Z';
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// True when <paramref name="pid"/> is alive and is a postgres server for <paramref name="pgData"/>.
    /// A pid file can outlive its server (crash, reboot) and the pid be reused by anything, so both the
    /// program and the data folder are checked. When the folder cannot be verified (no permission to look),
    /// a live postgres process is assumed to be ours: starting a second postmaster on a live PGDATA would be
    /// far worse than refusing to start.
    /// </summary>
    public static bool IsPostmasterFor(int pid, string pgData)
    {
        if (!IsAlive(pid))
        {
            return false;
        }

        var commandLine = TryRead($"/proc/{pid}/cmdline");
        if (commandLine is null)
        {
            // No /proc (not Linux): the best available check is the program name.
            return TryGetProcessName(pid)?.Contains("postgres", StringComparison.Ordinal) ?? false;
        }

        var arguments = commandLine.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        if (arguments.Length == 0 || !arguments[0].Contains("postgres", StringComparison.Ordinal))
        {
            return false;
        }

        if (arguments.Any(argument => SamePath(argument, pgData)))
        {
            return true;
        }

        // The postmaster chdirs into PGDATA, so its cwd names the data folder even when -D was relative.
        var workingDirectory = TryReadLink($"/proc/{pid}/cwd");
        return workingDirectory is null || SamePath(workingDirectory, pgData);
    }

    /// <summary>The postgres processes still working in <paramref name="pgData"/> (their cwd) whose postmaster is gone:
    /// after a kill -9 of the postmaster its backends may live on for a while, holding the shared memory a new postmaster
    /// refuses to start beside. Empty where /proc cannot tell.</summary>
    public static IReadOnlyList<int> ServerProcessesIn(string pgData)
    {
        if (!Directory.Exists("/proc/self"))
        {
            return [];
        }

        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            var commandLine = TryRead($"/proc/{pid}/cmdline");
            if (commandLine is null || !commandLine.StartsWith("postgres", StringComparison.Ordinal))
            {
                continue;
            }

            if (TryReadLink($"/proc/{pid}/cwd") is { } cwd && SamePath(cwd, pgData) && IsAlive(pid))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// <summary>The processes whose parent is <paramref name="pid"/> (a postmaster's backends and workers).</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid)
    {
        if (!Directory.Exists("/proc/self"))
        {
            return [];
        }

        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var candidate) || TryRead($"/proc/{candidate}/stat") is not { } stat)
            {
                continue;
            }

            // Fields after the parenthesised command name: state, then the parent's pid.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && int.TryParse(fields[1], out var parent) && parent == pid)
            {
                found.Add(candidate);
            }
        }

        return found;
    }

    /// <summary>Of <paramref name="pids"/>, the ones stopped by a signal (SIGSTOP, SIGTSTP: state T in /proc): such a
    /// process takes no other signal, a shutdown request included, until it is continued.</summary>
    public static IReadOnlyList<int> Stopped(IEnumerable<int> pids) =>
        [.. pids.Where(pid => TryRead($"/proc/{pid}/stat") is { } stat && State(stat) == 'T')];

    /// <summary>The state in a /proc/PID/stat line (field 3), or null when the line has none: it follows the command
    /// name, which is in parentheses and may hold spaces and parentheses itself.</summary>
    private static char? State(string stat)
    {
        var afterName = stat.LastIndexOf(')');
        return afterName < 0 || afterName + 2 >= stat.Length ? null : stat[afterName + 2];
    }

    /// <summary>Sends SIGCONT to <paramref name="pids"/>; the ones gone meanwhile, or not this user's to signal, are skipped
    /// (the stop that follows then says what it could not do).</summary>
    public static void Continue(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            try
            {
                ProcessSignal.Send(pid, ProcessSignal.Continue);
            }
            catch (IOException)
            {
                // EPERM: not ours to signal.
            }
        }
    }

    /// <summary>Sends SIGKILL to <paramref name="pid"/>; nothing when it is gone already.</summary>
    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone meanwhile.
        }
    }

    private static bool SamePath(string candidate, string pgData) =>
        string.Equals(Path.TrimEndingDirectorySeparator(candidate), pgData, StringComparison.Ordinal);

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? TryReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? TryGetProcessName(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.ProcessName;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }
}
