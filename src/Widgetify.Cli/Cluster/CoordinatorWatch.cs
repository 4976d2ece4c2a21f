using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Widgetify.Cli.Cluster;

/// <summary>
/// Runs in each API instance of a fleet so that none outlives its 'cluster up'. The instance is the coordinator's direct
/// child (setsid and sh exec), so its parent pid is the coordinator's for as long as that process lives; when the
/// coordinator dies however it dies (kill -9 included, where it can stop nothing), the kernel gives the instance another
/// parent. Seeing that, the instance does what the coordinator's orderly stop would have done: HAProxy's soft stop first,
/// waiting until HAProxy is gone (at most <see cref="LeftoverBalancer.StopBound"/>) so that no kept-alive connection is
/// forwarded to an instance that drains, then its own drain, the same as on SIGTERM. The balancer is the one in
/// <see cref="BalancerPidFile"/>, only when this instance's coordinator recorded it and only while that pid is still
/// HAProxy with this fleet's configuration. Several orphaned instances each send HAProxy the same soft stop, which it takes
/// once. Comparing parent pids, not probing the coordinator's pid, is immune to the pid being reused.
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
                await StopOrphanedAsync();
                return;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the instance is stopping anyway
        }
    }

    /// <summary>The balancer's stop, then this instance's drain, which happens whatever became of the former: an
    /// instance left running because HAProxy could not be stopped would be an orphan forever.</summary>
    internal async Task StopOrphanedAsync()
    {
        try
        {
            await StopLeftoverBalancerAsync();
        }
        catch (Exception ex)
        {
            LogBalancerStopFailed(logger, ex);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private async Task StopLeftoverBalancerAsync()
    {
        var folder = ClusterState.Folder(dataDirectory);
        if (BalancerPidFile.TryRead(folder) is not { } recorded)
        {
            return;
        }

        if (recorded.Coordinator != coordinatorPid)
        {
            // A later 'cluster up' on this data folder started that HAProxy: it is not this orphan's to stop.
            LogBalancerNotOurs(logger, recorded.Balancer, recorded.Coordinator);
            return;
        }

        var config = Path.Combine(folder, HaproxyConfig.FileName);
        LogStoppingBalancer(logger, recorded.Balancer);
        var started = timeProvider.GetTimestamp();
        var outcome = await LeftoverBalancer.StopAsync(recorded.Balancer, config, timeProvider);
        var seconds = timeProvider.GetElapsedTime(started).TotalSeconds;
        LogBalancerStopped(logger, recorded.Balancer, outcome, seconds);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Sending HAProxy (pid {Pid}) its soft stop (SIGUSR1) and waiting until it has ended")]
    private static partial void LogStoppingBalancer(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "HAProxy (pid {Pid}): {Outcome} after {Seconds:0.0} s; draining this instance")]
    private static partial void LogBalancerStopped(ILogger logger, int pid, BalancerStop outcome, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "HAProxy (pid {Pid}) was started by another 'cluster up' (pid {RecordedCoordinator}); leaving it running")]
    private static partial void LogBalancerNotOurs(ILogger logger, int pid, int recordedCoordinator);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not stop HAProxy for the 'cluster up' that is gone (stop it by hand: kill -USR1 the pid in <data-dir>/cluster/balancer.pid); draining this instance anyway")]
    private static partial void LogBalancerStopFailed(ILogger logger, Exception exception);
}
