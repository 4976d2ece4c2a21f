using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Widgetify.Cli.Cluster;

/// <summary>
/// Runs in each API instance of a fleet so that none outlives its 'cluster up'. The instance is the coordinator's direct
/// child (setsid and sh exec), so its parent pid is the coordinator's for as long as that process lives; when the
/// coordinator dies however it dies (kill -9 included, where it can stop nothing), the kernel gives the instance another
/// parent. Seeing that, the instance does what the coordinator's orderly stop would have done: HAProxy's soft stop first
/// (the balancer recorded in cluster.json, after checking that the pid is still that HAProxy), then its own drain, the
/// same as on SIGTERM. Several orphaned instances each send HAProxy the same soft stop, which it takes once. Comparing
/// parent pids, not probing the coordinator's pid, is immune to the pid being reused.
/// </summary>
internal sealed partial class CoordinatorWatch(
    int coordinatorPid, string dataDirectory, IHostApplicationLifetime lifetime, TimeProvider timeProvider, ILogger logger)
{
    /// <summary>How often the parent is checked: an orphaned fleet stops within about this long plus the drain.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Whether a process whose parent is <paramref name="parentPid"/> has lost the coordinator it was started by.</summary>
    public static bool IsOrphaned(int? parentPid, int coordinatorPid) => parentPid is { } parent && parent != coordinatorPid;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var parent = ParentPid();
                if (!IsOrphaned(parent, coordinatorPid))
                {
                    continue;
                }

                LogOrphaned(logger, coordinatorPid, parent!.Value);
                StopLeftoverBalancer();
                lifetime.StopApplication();
                return;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the instance is stopping anyway
        }
    }

    /// <summary>HAProxy's SIGUSR1 (stop listening, finish what it carries), when cluster.json names a balancer that still runs
    /// with this fleet's configuration: a pid the kernel has since given to another program is left alone.</summary>
    private void StopLeftoverBalancer()
    {
        var state = ClusterState.TryReadRecorded(dataDirectory);
        if (state?.BalancerPid is not { } pid || !ProcessCommandLine.Runs(pid, "haproxy", state.BalancerConfig))
        {
            return;
        }

        LogStoppingBalancer(logger, pid);
        using var kill = System.Diagnostics.Process.Start("kill", ["-USR1", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>This process's parent, from /proc/self/stat (its fourth field, after the parenthesised name); null when
    /// it cannot be read.</summary>
    internal static int? ParentPid()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The 'cluster up' that started this instance (pid {CoordinatorPid}) is gone (the parent is now pid {ParentPid}): stopping HAProxy softly and draining, as its stop would have")]
    private static partial void LogOrphaned(ILogger logger, int coordinatorPid, int parentPid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent HAProxy (pid {Pid}) its soft stop (SIGUSR1)")]
    private static partial void LogStoppingBalancer(ILogger logger, int pid);
}

/// <summary>What a process runs, from /proc/PID/cmdline, so that a recorded pid is only signalled while it is still the
/// program it was recorded for.</summary>
internal static class ProcessCommandLine
{
    /// <summary>Whether <paramref name="pid"/> runs with arguments containing every one of <paramref name="parts"/>.</summary>
    public static bool Runs(int pid, params string[] parts)
    {
        try
        {
            var arguments = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/cmdline")).Split('\0');
            return parts.All(part => arguments.Any(a => a.Contains(part, StringComparison.Ordinal)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
