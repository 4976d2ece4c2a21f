using Widgetify.Postgres;

namespace Widgetify.Cli.Cluster;

/// <summary>Stops a fleet's HAProxy that no 'cluster up' runs any more: SIGUSR1 (its soft stop: it stops listening and
/// ends once the requests it carries have their answers), then waits until it is gone, as the coordinator's own stop does
/// for <see cref="StopBound"/>, and kills it after that. Each signal goes only to a pid whose command line is still HAProxy
/// with this fleet's configuration (<see cref="ProcessCommandLine.RunsBalancer"/>).</summary>
internal static class LeftoverBalancer
{
    /// <summary>As long as 'cluster up' gives its HAProxy to finish what it carries when it stops.</summary>
    public static readonly TimeSpan StopBound = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public static async Task<BalancerStop> StopAsync(int pid, string config, TimeProvider timeProvider)
    {
        if (!ProcessCommandLine.RunsBalancer(pid, config) || !ProcessSignal.Send(pid, ProcessSignal.User1))
        {
            return BalancerStop.NotRunning;
        }

        var started = timeProvider.GetTimestamp();
        while (ProcessCommandLine.RunsBalancer(pid, config))
        {
            if (timeProvider.GetElapsedTime(started) >= StopBound)
            {
                ProcessSignal.Send(pid, ProcessSignal.Kill);
                return BalancerStop.Killed;
            }

            await Task.Delay(Poll, timeProvider);
        }

        return BalancerStop.Stopped;
    }
}

/// <summary>What <see cref="LeftoverBalancer.StopAsync"/> did.</summary>
internal enum BalancerStop
{
    /// <summary>The pid was not (or no longer) that HAProxy: nothing was signalled.</summary>
    NotRunning,

    /// <summary>It ended by itself after its soft stop.</summary>
    Stopped,

    /// <summary>It was still running <see cref="LeftoverBalancer.StopBound"/> after its soft stop and was killed.</summary>
    Killed,
}
