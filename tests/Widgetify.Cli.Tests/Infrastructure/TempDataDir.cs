using System.Diagnostics;

namespace Widgetify.Cli.Tests.Infrastructure;

/// <summary>A fresh --data-dir. On dispose, any PostgreSQL still running from it is stopped and it is deleted.</summary>
public sealed class TempDataDir : IDisposable
{
    public TempDataDir() => Directory.CreateDirectory(Path);

    /// <summary>A data dir that already holds a stopped cluster (a copy of <see cref="Widgetify.Testing.ClusterTemplate"/>'s),
    /// for the tests of a verb rather than of initdb: the verb starts it as it starts any existing cluster, and initdb's
    /// seconds of CPU are spent once per test process instead of once per test.</summary>
    public static async Task<TempDataDir> WithClusterAsync()
    {
        var dataDir = new TempDataDir();
        try
        {
            await Widgetify.Testing.ClusterTemplate.CopyIntoAsync(dataDir.Path);
            return dataDir;
        }
        catch
        {
            dataDir.Dispose();
            throw;
        }
    }

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "widgetify-cli-" + Guid.NewGuid().ToString("N")[..12]);

    public string PostmasterPidFile => System.IO.Path.Combine(Path, "pg", "postmaster.pid");

    /// <summary>The PGDATA of a standby that 'up --replicas' keeps under this data dir.</summary>
    public string StandbyPgData(string name) => System.IO.Path.Combine(Path, "standbys", name, "pg");

    /// <summary>The postmaster's pid, or null when no server runs for this data dir (or for <paramref name="pgData"/>).</summary>
    public int? RunningPostmasterPid(string? pgData = null)
    {
        var pidFile = pgData is null ? PostmasterPidFile : System.IO.Path.Combine(pgData, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }

        var pid = int.Parse(File.ReadLines(pidFile).First(), System.Globalization.CultureInfo.InvariantCulture);
        return IsLivePostgres(pid) ? pid : null;
    }

    /// <summary>Whether <paramref name="pid"/> is a postgres process that has not exited. A server killed with -9 leaves
    /// its postmaster.pid behind, and on a busy machine its pid is soon another process's (or a thread's: /proc/TID
    /// exists too), so the pid alone would report a server that is gone as running.</summary>
    private static bool IsLivePostgres(int pid)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            var isProcess = status.Any(line => line == $"Tgid:\t{pid}");
            var exited = status.Any(line => line.StartsWith("State:\tZ", StringComparison.Ordinal) || line.StartsWith("State:\tX", StringComparison.Ordinal));
            return isProcess && !exited && File.ReadAllText($"/proc/{pid}/cmdline").Contains("postgres", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // gone between the checks
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        var standbys = Directory.Exists(System.IO.Path.Combine(Path, "standbys"))
            ? Directory.EnumerateDirectories(System.IO.Path.Combine(Path, "standbys")).Select(standby => System.IO.Path.Combine(standby, "pg"))
            : [];
        foreach (var pgData in standbys.Append(null))
        {
            if (RunningPostmasterPid(pgData) is { } pid)
            {
                using var kill = Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
            }
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
