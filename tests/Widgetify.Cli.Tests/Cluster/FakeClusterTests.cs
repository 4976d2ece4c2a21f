using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Widgetify.Cli.Cluster;
using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>'cluster restart' refuses what would fail requests or signal the wrong process, before it drains anything;
/// 'cluster status' never starts a PostgreSQL. The cluster here is a cluster.json whose coordinator is this test process, stand-in instances that are real processes
/// with the instance's command line, and an admin socket answering 'show stat' as HAProxy does: no fleet is started.</summary>
public sealed class FakeClusterTests : IDisposable
{
    private readonly TempDataDir _dataDir = new();
    private readonly List<Process> _processes = [];

    [Fact]
    public async Task Restart_OneInstance_RefusesAndSaysHowToRunTwo()
    {
        WriteState(Path.Combine(_dataDir.Path, "none.sock"), (StandIn("api-1"), "api-1"));

        var (exitCode, _, stderr) = await CliProcess.RunAsync("cluster", "restart", "--data-dir", _dataDir.Path);

        exitCode.ShouldBe(2);
        stderr.ShouldContain("1 instance");
        stderr.ShouldContain("--instances 2");
        _processes.ShouldAllBe(p => !p.HasExited);
    }

    [Fact]
    public async Task Restart_WhileAnotherRestartHoldsTheLock_Refuses()
    {
        WriteState(Path.Combine(_dataDir.Path, "none.sock"), (StandIn("api-1"), "api-1"), (StandIn("api-2"), "api-2"));
        using var held = ClusterLock.TryTake(_dataDir.Path, ClusterLock.RestartFile);
        held.ShouldNotBeNull();

        var (exitCode, _, stderr) = await CliProcess.RunAsync("cluster", "restart", "--data-dir", _dataDir.Path);

        exitCode.ShouldBe(2);
        stderr.ShouldContain("another 'cluster restart'");
        _processes.ShouldAllBe(p => !p.HasExited);
    }

    [Fact]
    public async Task Restart_RecordedPidIsAnotherProcess_DoesNotSignalIt()
    {
        using var balancer = new FakeBalancer(Path.Combine(_dataDir.Path, "haproxy.sock"), ("api-1", "UP"), ("api-2", "UP"));
        WriteState(balancer.Path, (StandIn("somebody-else"), "api-1"), (StandIn("api-2"), "api-2"));

        var (exitCode, _, stderr) = await CliProcess.RunAsync("cluster", "restart", "--data-dir", _dataDir.Path);

        exitCode.ShouldBe(1);
        stderr.ShouldContain("is not that instance");
        _processes.ShouldAllBe(p => !p.HasExited, "a pid that is not the instance is never signalled");
        balancer.Commands.ShouldNotContain(c => c.StartsWith("set server", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_AnotherInstanceNotUpInHaproxy_RefusesBeforeDraining()
    {
        using var balancer = new FakeBalancer(Path.Combine(_dataDir.Path, "haproxy.sock"), ("api-1", "UP"), ("api-2", "DOWN"));
        WriteState(balancer.Path, (StandIn("api-1"), "api-1"), (StandIn("api-2"), "api-2"));

        var (exitCode, _, stderr) = await CliProcess.RunAsync("cluster", "restart", "--data-dir", _dataDir.Path);

        exitCode.ShouldBe(1, stderr);
        stderr.ShouldContain("api-2 is DOWN");
        _processes.ShouldAllBe(p => !p.HasExited);
        balancer.Commands.ShouldNotContain(c => c.StartsWith("set server", StringComparison.Ordinal), "nothing is drained");
    }

    [Fact]
    public async Task Status_NoPostgresRunning_ReportsSharesUnknownAndStartsNone()
    {
        WriteState(Path.Combine(_dataDir.Path, "none.sock"), (StandIn("api-1"), "api-1"), (StandIn("api-2"), "api-2"));

        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("cluster", "status", "--format", "json", "--data-dir", _dataDir.Path);

        exitCode.ShouldBe(0, stderr);
        using var status = System.Text.Json.JsonDocument.Parse(stdout);
        status.RootElement.GetProperty("sharesUnknown").GetString().ShouldNotBeNullOrEmpty();
        status.RootElement.GetProperty("balancer").GetProperty("state").GetString().ShouldBe("down");
        File.Exists(Path.Combine(_dataDir.Path, "pg", "PG_VERSION")).ShouldBeFalse("status attaches to a running server only: it made no cluster");
        _dataDir.RunningPostmasterPid().ShouldBeNull();
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }

        _dataDir.Dispose();
    }

    /// <summary>A process whose command line has <c>--cluster-instance NAME</c>, as an instance's does (the trailing ':'
    /// keeps the shell from exec'ing sleep, which would change the command line).</summary>
    private int StandIn(string name)
    {
        var process = Process.Start("sh", ["-c", "sleep 120; :", "--cluster-instance", name])!;
        _processes.Add(process);
        return process.Id;
    }

    private void WriteState(string socket, params (int Pid, string Name)[] instances)
    {
        Directory.CreateDirectory(ClusterState.Folder(_dataDir.Path));
        new ClusterState
        {
            CoordinatorPid = Environment.ProcessId,
            Url = "http://127.0.0.1:1",
            TlsUrl = "https://127.0.0.1:2",
            BalancerConfig = "haproxy.cfg",
            BalancerSocket = socket,
            BalancerPid = null,
            Instances = [.. instances.Select((i, n) => new InstanceRecord(i.Name, 40000 + n, i.Pid, 0))],
            Servers = [],
        }.Write(_dataDir.Path);
    }

    /// <summary>Answers 'show stat' with the given server states, as HAProxy's admin socket does, and records every command.</summary>
    private sealed class FakeBalancer : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;

        public FakeBalancer(string path, params (string Name, string Status)[] servers)
        {
            Path = path;
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen();
            var csv = new StringBuilder("# pxname,svname,scur,stot,status,\n");
            foreach (var (name, status) in servers)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{ClusterInstances.Backend},{name},0,0,{status},\n");
            }

            _serving = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptAsync(_stop.Token);
                    var buffer = new byte[4096];
                    var read = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    var command = Encoding.ASCII.GetString(buffer, 0, read).Trim();
                    Commands.Enqueue(command);
                    await client.SendAsync(Encoding.ASCII.GetBytes(command == "show stat" ? csv.ToString() : "\n"), SocketFlags.None, _stop.Token);
                }
            });
        }

        public string Path { get; }

        public ConcurrentQueue<string> Commands { get; } = new();

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
            try
            {
                _serving.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // cancelled
            }

            _stop.Dispose();
        }
    }
}
