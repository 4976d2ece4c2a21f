using System.Globalization;
using System.Text.Json;
using Widgetify.Cli.Cluster;
using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>A real 'widgetify cluster up' (PostgreSQL, instances, HAProxy) in a fresh data folder, with helpers to read
/// its state the way an operator does: 'cluster status --format json' and HAProxy's admin socket.</summary>
internal sealed class RunningCluster : IDisposable
{
    public static readonly TimeSpan StartBound = TimeSpan.FromMinutes(4);

    /// <summary>Admission that never sheds and deadlines a machine busy with other tests does not reach, so that every
    /// answer the load gets is a 2xx or a sign of a stop. With the limit pinned (and CpuShed off, its default) the
    /// thread-pool lag probe changes nothing an instance decides, so it probes every 500 ms instead of every 10 ms, which
    /// cost an idle instance 4 % of a core (ApiFixture.NeverShed says more).</summary>
    public static readonly Dictionary<string, string> CalmAdmission = new()
    {
        ["Widgetify__Admission__CpuLagProbeInterval"] = "00:00:00.500",
        ["Widgetify__Admission__InitialLimit"] = "1000",
        ["Widgetify__Admission__MinLimit"] = "1000",
        ["Widgetify__Admission__MaxLimit"] = "1000",
        ["Widgetify__Admission__QueueInterval"] = "00:00:10",
        ["Widgetify__Admission__QueueTargetDelay"] = "00:00:10",
        ["Widgetify__Admission__ReadTimeout"] = "00:00:20",
        ["Widgetify__Admission__WriteTimeout"] = "00:00:20",
    };

    private RunningCluster(TempDataDir dataDir, CliProcess process, int port, int tlsPort)
    {
        DataDir = dataDir;
        Process = process;
        Port = port;
        TlsPort = tlsPort;
    }

    public TempDataDir DataDir { get; }

    public CliProcess Process { get; }

    public int Port { get; }

    public int TlsPort { get; }

    public string DemoKey => File.ReadAllText(Path.Combine(DataDir.Path, "demo-api-key")).Trim();

    public ClusterState State => ClusterState.TryRead(DataDir.Path).State ?? throw new InvalidOperationException("no cluster state");

    public HaproxyAdmin Balancer => new(State.BalancerSocket);

    public static CliProcess Launch(TempDataDir dataDir, int instances, int port, int tlsPort, IReadOnlyDictionary<string, string> environment, params string[] more) =>
        CliProcess.Start(environment, [
            "cluster", "up", "--instances", instances.ToString(CultureInfo.InvariantCulture), "--data-dir", dataDir.Path,
            "--port", port.ToString(CultureInfo.InvariantCulture), "--tls-port", tlsPort.ToString(CultureInfo.InvariantCulture),
            .. more.Contains("--demo-widgets") ? more : ["--demo-widgets", "5", .. more]]);

    /// <summary>Starts a fleet; <paramref name="more"/> are further options of 'cluster up' (--replicas, --max-replicas,
    /// --demo-widgets, which is 5 unless given).</summary>
    public static async Task<RunningCluster> StartAsync(int instances, IReadOnlyDictionary<string, string> environment, params string[] more)
    {
        var dataDir = new TempDataDir();
        var (port, tlsPort) = (CliProcess.FreePort(), CliProcess.FreePort());
        var process = Launch(dataDir, instances, port, tlsPort, environment, more);
        try
        {
            await process.WaitForOutputAsync("Widgetify cluster is up", StartBound);
        }
        catch
        {
            process.Dispose();
            dataDir.Dispose();
            throw;
        }

        return new RunningCluster(dataDir, process, port, tlsPort);
    }

    /// <summary>'cluster status --format json', parsed.</summary>
    public async Task<JsonElement> StatusAsync()
    {
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("cluster", "status", "--data-dir", DataDir.Path, "--format", "json");
        exitCode.ShouldBe(0, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    /// <summary>Waits until every instance is ready and HAProxy has each UP: the state every test leaves the cluster in.
    /// 'cluster status' (a process of its own: a runtime start, about half a second of CPU) is asked only once HAProxy, read over
    /// its socket in-process, has every server UP; before that the answer could only be "not yet".</summary>
    public async Task WaitUntilWholeAsync(TimeSpan bound)
    {
        var seen = "";
        await Widgetify.Testing.BoundedWait.UntilAsync(
            async () =>
            {
                var servers = await Balancer.ServersAsync(CancellationToken.None);
                seen = string.Join(", ", servers.Select(s => $"{s.Name} {s.Status}"));
                if (!servers.All(s => s.IsUp))
                {
                    return false;
                }

                var status = await StatusAsync();
                seen += "; " + status.GetProperty("instances").ToString();
                return status.GetProperty("instances").EnumerateArray().All(i => i.GetProperty("state").GetString() == "ready");
            },
            () => seen, "every instance was ready and UP in HAProxy", bound);
    }

    public void Dispose()
    {
        if (ClusterState.TryRead(DataDir.Path).State is not null)
        {
            Process.Terminate();
            try
            {
                Process.WaitForExitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
            }
            catch (TimeoutException)
            {
                // killed by WaitForExitAsync; the data folder's dispose stops PostgreSQL
            }
        }

        Process.Dispose();
        DataDir.Dispose();
    }
}
