using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Widgetify.Bench.Processes;
using Widgetify.Postgres;

namespace Widgetify.Bench.Fleet;

/// <summary>A real <c>widgetify cluster up</c> run as a child process (the very code an operator runs, not a copy of it),
/// started under taskset when the fleet is pinned, so PostgreSQL, the instances and HAProxy it starts inherit its
/// cores. Its output goes to a log file; it is stopped with SIGTERM, as Ctrl-C stops it.</summary>
internal sealed class ClusterUpProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(90);
    private readonly Process process;

    private ClusterUpProcess(Process process, string dll, string dataDirectory, string logFile, int port)
    {
        this.process = process;
        Dll = dll;
        DataDirectory = dataDirectory;
        LogFile = logFile;
        Url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
    }

    public string Dll { get; }

    public string DataDirectory { get; }

    public string LogFile { get; }

    /// <summary>HAProxy's plain-HTTP address.</summary>
    public Uri Url { get; }

    public int Id => process.Id;

    public static ClusterUpProcess Start(string dll, string dataDirectory, int instances, int demoWidgets, string? cores, string logFile)
    {
        var port = FreePort.Pick();
        int tlsPort;
        do
        {
            tlsPort = FreePort.Pick();
        }
        while (tlsPort == port);

        List<string> command = [
            "dotnet", dll, "cluster", "up", "--instances", I(instances), "--port", I(port), "--tls-port", I(tlsPort),
            "--data-dir", dataDirectory, "--demo-widgets", I(demoWidgets),
        ];
        if (cores is not null)
        {
            command.InsertRange(0, ["taskset", "-c", cores]);
        }

        // sh execs (and so does taskset): the pid is cluster up's own, which SIGTERM must reach.
        var start = new ProcessStartInfo("sh") { UseShellExecute = false };
        foreach (var argument in (string[])["-c", "exec \"$@\" >> \"$0\" 2>&1", logFile, .. command])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start 'cluster up'.");
        return new ClusterUpProcess(process, dll, dataDirectory, logFile, port);
    }

    /// <summary>Waits (bounded) until cluster.json is written by this process: it writes it once PostgreSQL, every
    /// instance and HAProxy are up and HAProxy sees every instance ready.</summary>
    public async Task<FleetState> WaitUntilUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"'cluster up' exited with code {process.ExitCode} while starting; the end of {LogFile}:\n{Tail()}");
            }

            if (ReadState() is { } state && state.CoordinatorPid == process.Id)
            {
                return state;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new InvalidOperationException($"'cluster up' was not up within {timeout.TotalSeconds:0} s; the end of {LogFile}:\n{Tail()}");
    }

    /// <summary>cluster.json as it is now; null while it is being written or before it exists.</summary>
    public FleetState? ReadState()
    {
        try
        {
            return FleetState.Parse(File.ReadAllText(Path.Combine(DataDirectory, "cluster", "cluster.json")));
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Runs another verb of the same widgetify.dll on this fleet (<c>cluster restart</c>, <c>cluster status</c>) on
    /// the fleet's cores, as an operator would from another terminal.</summary>
    public Task<ProcessResult> RunVerbAsync(string? cores, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        List<string> command = ["dotnet", Dll, .. arguments, "--data-dir", DataDirectory];
        if (cores is not null)
        {
            command.InsertRange(0, ["taskset", "-c", cores]);
        }

        return ProcessRunner.RunAsync(command[0], command[1..], workingDirectory: null, cancellationToken);
    }

    public string Tail(int lines = 20)
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

    /// <summary>SIGTERM (its orderly stop: HAProxy, then the instances, then PostgreSQL), SIGKILL of the tree after a bound.</summary>
    public async ValueTask DisposeAsync()
    {
        await ChildProcesses.StopAsync(process, StopGrace);
        process.Dispose();
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What the bench reads of cluster.json: the coordinator and each instance's port and current pid.</summary>
internal sealed record FleetState(int CoordinatorPid, IReadOnlyList<FleetInstance> Instances)
{
    public static FleetState Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new FleetState(
            root.GetProperty("coordinatorPid").GetInt32(),
            [.. root.GetProperty("instances").EnumerateArray().Select(i => new FleetInstance(
                i.GetProperty("name").GetString()!, i.GetProperty("port").GetInt32(),
                i.GetProperty("pid").ValueKind == JsonValueKind.Number ? i.GetProperty("pid").GetInt32() : null))]);
    }
}

internal sealed record FleetInstance(string Name, int Port, int? Pid);
