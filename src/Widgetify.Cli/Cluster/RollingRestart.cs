using System.Globalization;
using Widgetify.Postgres;

namespace Widgetify.Cli.Cluster;

/// <summary><c>widgetify cluster restart</c>: one instance at a time, HAProxy stops sending it requests (<c>set server
/// ... state drain</c>), the requests it has in flight finish, it is stopped with SIGTERM (it drains itself too: readiness
/// fails, the listener closes, connections close after their last answer), the cluster's supervisor starts it again
/// because it stopped cleanly, and once it is ready and HAProxy's checks have it UP it gets requests again, a few at first
/// (HAProxy's slow start). Then the next, once this one has its full weight: a cold process given the whole load at once
/// sheds. With the balancer's retries of idempotent requests, no request fails or is shed
/// (tests/Widgetify.Cli.Tests/Cluster/RestartUnderLoadTests).</summary>
internal static class RollingRestart
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan InFlightBound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan UpBound = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync(string dataDirectory, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (state, why) = ClusterState.TryRead(dataDirectory);
        if (state is null)
        {
            await Console.Error.WriteLineAsync($"widgetify: {why}.");
            return 3;
        }

        if (state.Instances.Count < 2)
        {
            await Console.Error.WriteLineAsync(
                $"widgetify: the cluster runs 1 instance: restarting it would leave no instance to serve requests until it is ready again " +
                "(every request would fail meanwhile). Stop the cluster (Ctrl-C in its terminal) and start it again with " +
                "'./widgetify cluster up --instances 2' or more, then 'cluster restart' rolls without a failed request.");
            return 2;
        }

        // Two restarts at once could drain two instances together, or one of them the instance the other waits for.
        using var restartLock = ClusterLock.TryTake(dataDirectory, ClusterLock.RestartFile);
        if (restartLock is null)
        {
            await Console.Error.WriteLineAsync(
                $"widgetify: another 'cluster restart' is rolling this cluster (it holds {Path.Combine(ClusterState.Folder(dataDirectory), ClusterLock.RestartFile)}): " +
                "wait until it ends, then run it again if needed.");
            return 2;
        }

        var admin = new HaproxyAdmin(state.BalancerSocket);
        foreach (var instance in state.Instances)
        {
            var started = timeProvider.GetTimestamp();
            var before = ClusterState.TryRead(dataDirectory).State?.Instances.First(i => i.Name == instance.Name);
            if (before?.Pid is not { } pid)
            {
                await Console.Error.WriteLineAsync($"widgetify: {instance.Name} is not running (the supervisor is starting it again); run 'cluster restart' when 'cluster status' shows it ready.");
                return 1;
            }

            // cluster.json may be older than the process table: never signal a pid that was reused by something else.
            if (!RunsInstance(pid, instance.Name))
            {
                await Console.Error.WriteLineAsync(
                    $"widgetify: pid {pid}, recorded for {instance.Name} in {ClusterState.PathIn(dataDirectory)}, is not that instance " +
                    $"(its command line has no '--cluster-instance {instance.Name}'), so it is not signalled; check 'cluster status' and run 'cluster restart' again.");
                return 1;
            }

            // Draining this one while another is out would leave fewer instances than the operator runs, or none.
            var servers = await admin.ServersAsync(cancellationToken);
            var notUp = state.Instances.Where(i => i.Name != instance.Name)
                .Select(i => (i.Name, Status: servers.FirstOrDefault(s => s.Name == i.Name)?.Status ?? "unknown"))
                // "UP 1/3": UP, one check failed since; still serving.
                .Where(i => !i.Status.StartsWith("UP", StringComparison.Ordinal))
                .ToList();
            if (notUp.Count > 0)
            {
                await Console.Error.WriteLineAsync(
                    $"widgetify: not draining {instance.Name}: {string.Join(", ", notUp.Select(i => $"{i.Name} is {i.Status}"))} in HAProxy, so the others " +
                    "would carry every request alone. Wait until 'cluster status' shows every instance UP, then run 'cluster restart' again.");
                return 1;
            }

            Say($"{instance.Name}: draining (pid {pid})");
            async Task<BalancedServer?> ThisServerAsync() =>
                (await admin.ServersAsync(cancellationToken)).FirstOrDefault(s => s.Name == instance.Name);
            // How long each step took, printed with the total: the steps before "UP" are the time the other instances carry
            // every request alone, which is what an operator (or a test that saw a shed) needs to know about a slow restart.
            var steps = new List<string>();
            var stepStarted = timeProvider.GetTimestamp();
            void Done(string step)
            {
                steps.Add(string.Create(CultureInfo.InvariantCulture, $"{step} {timeProvider.GetElapsedTime(stepStarted).TotalSeconds:0.0} s"));
                stepStarted = timeProvider.GetTimestamp();
            }

            await admin.SetStateAsync(instance.Name, "drain", cancellationToken);
            try
            {
                await UntilAsync(
                    async () => await ThisServerAsync() is { CurrentSessions: 0 },
                    InFlightBound, $"{instance.Name}'s requests in flight finished", timeProvider, cancellationToken);
                Done("requests in flight finished");
                ProcessSignal.Send(pid, ProcessSignal.Terminate);

                await UntilAsync(
                    () => Task.FromResult(ClusterState.TryRead(dataDirectory).State?.Instances.First(i => i.Name == instance.Name).Pid is { } next && next != pid),
                    UpBound, $"{instance.Name} was started again", timeProvider, cancellationToken);
                Done("stopped and started again");
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
                await UntilAsync(() => ReadyAsync(http, instance.Port, cancellationToken), UpBound, $"{instance.Name} was ready", timeProvider, cancellationToken);
                Done("ready");
            }
            finally
            {
                // Also when something above failed: an instance left in drain would never get requests again.
                await admin.SetStateAsync(instance.Name, "ready", CancellationToken.None);
            }

            await UntilAsync(
                async () => await ThisServerAsync() is { IsUp: true },
                UpBound, $"HAProxy had {instance.Name} UP", timeProvider, cancellationToken);
            Done("UP in HAProxy");

            // Past its slow start too (Widgetify:Cluster:SlowStart): draining the next instance while this one is still
            // ramping up would hand the whole load to a cold process at once, which the ramp is there to avoid.
            await UntilAsync(
                async () => await ThisServerAsync() is { IsFullyUp: true },
                UpBound, $"HAProxy had {instance.Name} UP with its full weight", timeProvider, cancellationToken);
            Done("slow start");
            Say(string.Create(CultureInfo.InvariantCulture,
                $"{instance.Name}: restarted and back in the balancer ({timeProvider.GetElapsedTime(started).TotalSeconds:0.0} s: {string.Join(", ", steps)})"));
        }

        Say($"all {state.Instances.Count} instance(s) restarted");
        return 0;
    }

    /// <summary>Whether process <paramref name="pid"/> is the fleet's instance <paramref name="name"/>: its command line
    /// (<c>/proc/PID/cmdline</c>, NUL-separated) has <c>--cluster-instance NAME</c>.</summary>
    internal static bool RunsInstance(int pid, string name)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments.Zip(arguments.Skip(1)).Any(pair => pair is ("--cluster-instance", var value) && value == name);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task<bool> ReadyAsync(HttpClient http, int port, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan bound, string what, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        while (!await condition())
        {
            if (timeProvider.GetElapsedTime(started) > bound)
            {
                throw new InvalidOperationException($"Gave up after {bound.TotalSeconds} s waiting until {what}: see <data-dir>/cluster/logs/ and 'cluster status'.");
            }

            await Task.Delay(Poll, timeProvider, cancellationToken);
        }
    }

    private static void Say(string line) => Console.WriteLine($"widgetify: {line}");
}
