using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;
using Widgetify.Bench.Processes;
using Widgetify.Postgres;

namespace Widgetify.Bench.Fleet;

/// <summary>
/// Runs <c>bench fleet</c>. One data folder for the whole run (PostgreSQL, keys and demo widgets made once); for each
/// instance count, smallest first, a real <c>cluster up --instances N</c> on it (<see cref="ClusterUpProcess"/>), the same
/// open-loop offered load through HAProxy for every count, PostgreSQL's client backends sampled from pg_stat_activity
/// every 100 ms and the budget read with <c>cluster status --format json</c>. At the largest count, under the same load,
/// a <c>cluster restart</c> from another process, then a kill -9 of api-1 (its supervisor starts it again). Every phase is
/// its own open-loop run with its own recorder, so each phase's failures are its own.
/// </summary>
internal sealed class FleetRunner(FleetSettings settings, TextWriter console)
{
    public const string SteadyPhase = "steady";
    public const string RestartPhase = "rolling restart";
    public const string KillPhase = "kill -9 api-1";

    private const string InstancePrefix = "widgetify-api-";
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan FaultLead = TimeSpan.FromSeconds(2);

    public async Task<FleetReport> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.OutputDirectory);
        var plan = AffinityPlan.For(Environment.ProcessorCount, settings.Pin);
        if (plan.Pinned && CpuPinning.Pin(Environment.ProcessId, plan.GeneratorCores!) is { } failure)
        {
            Say($"pinning the generator failed, running unpinned: {failure}");
            plan = AffinityPlan.For(Environment.ProcessorCount, enabled: false);
        }

        // The plan's own wording names the storm's PgBouncer; here the fleet is what runs beside the generator.
        var pinning = plan.Pinned
            ? F($"load generator on core {plan.GeneratorCores}, the fleet (cluster up, PostgreSQL, the instances, HAProxy, the cluster verbs the bench runs) on core(s) {plan.ServiceCores} (taskset)")
            : plan.Reason;
        var machine = F($"Machine: {Environment.ProcessorCount} CPUs, load average at the start {LoadAverage()}; {pinning}.");
        var work = WorkFolder.Create("widgetify-bench-fleet-");
        var results = new List<FleetPhaseResult>();
        try
        {
            var version = await ServiceBuild.VersionAsync(settings.ServiceDll, cancellationToken);
            var dll = ServiceBuild.Snapshot(settings.ServiceDll, work);
            var data = Path.Combine(work, "data");
            Directory.CreateDirectory(data);
            Say($"output in {settings.OutputDirectory}; fleet data in {data}; {machine}");
            var counts = settings.InstanceCounts.Order().ToList();
            foreach (var count in counts)
            {
                results.AddRange(await RunCountAsync(dll, data, count, faults: settings.Faults && count == counts[^1], plan.ServiceCores, cancellationToken));
            }

            machine += F($" Load average at the end {LoadAverage()}.");
            var text = FleetMarkdown.Render(results, settings, version, machine);
            var path = Path.Combine(settings.OutputDirectory, "fleet.md");
            await File.WriteAllTextAsync(path, text, cancellationToken);
            await console.WriteAsync(text);
            Say($"wrote {path}");
            return new FleetReport(results, FleetMarkdown.MissedGoals(results, settings.FaultBound), text);
        }
        finally
        {
            if (WorkFolder.TryDelete(work) is { } leftover)
            {
                Say(leftover);
            }
        }
    }

    private async Task<List<FleetPhaseResult>> RunCountAsync(string dll, string data, int count, bool faults, string? cores, CancellationToken cancellationToken)
    {
        try
        {
            return await RunFleetAsync(dll, data, count, faults, cores, cancellationToken);
        }
        finally
        {
            KeepLogs(data, count);
        }
    }

    /// <summary>Copies the fleet's logs (each instance's and HAProxy's) into the output folder, as <c>logs-N/</c>: the
    /// data folder is deleted at the end of the run, and the logs say which instance shed what, and when.</summary>
    private void KeepLogs(string data, int count)
    {
        var from = Path.Combine(data, "cluster", "logs");
        var to = Path.Combine(settings.OutputDirectory, F($"logs-{count}"));
        try
        {
            if (Directory.Exists(to))
            {
                Directory.Delete(to, recursive: true);
            }

            Directory.CreateDirectory(to);
            foreach (var file in Directory.Exists(from) ? Directory.GetFiles(from) : [])
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Say($"could not keep the fleet's logs in {to}: {ex.Message}");
        }
    }

    private async Task<List<FleetPhaseResult>> RunFleetAsync(string dll, string data, int count, bool faults, string? cores, CancellationToken cancellationToken)
    {
        var log = Path.Combine(settings.OutputDirectory, F($"cluster-up-{count}.log"));
        File.Delete(log);
        Say(F($"{count} instance(s): cluster up (log {log})"));
        await using var fleet = ClusterUpProcess.Start(dll, data, count, settings.DemoWidgets, cores, log);
        await fleet.WaitUntilUpAsync(UpTimeout, cancellationToken);

        await using var database = await PostgresCluster.StartAsync(
            new PostgresClusterOptions { DataDirectory = ClusterLocation.Resolve(data, runsAsPostgres: false).Directory, AttachOnly = true },
            cancellationToken: cancellationToken);
        await using var sampler = new PgActivitySampler(database.AdminConnectionString, TimeSpan.FromMilliseconds(100));
        await sampler.StartAsync(cancellationToken);
        var budget = await BudgetAsync(fleet, cores, cancellationToken);

        using var control = BenchHttpClients.Control();
        var key = (await File.ReadAllTextAsync(Path.Combine(data, "demo-api-key"), cancellationToken)).Trim();
        var widgets = await ServiceProcess.ListWidgetsAsync(control, fleet.Url, key, settings.DemoWidgets, cancellationToken);
        var requests = new RequestFactory(
            fleet.Url, key, [.. widgets.Select(w => w.Id)],
            [.. widgets.Where(w => w.Kind == "poll").Select(w => w.Id)], [.. widgets.Where(w => w.Kind == "counter").Select(w => w.Id)]);
        using var load = BenchHttpClients.Load(settings.Clients, settings.ClientTimeout);

        var results = new List<FleetPhaseResult>
        {
            await MeasureAsync(SteadyPhase, count, load, requests, sampler, budget, FleetSettings.WarmupSeconds, settings.Seconds, fault: null, cancellationToken),
        };
        Say(Line(results[^1]));
        if (faults)
        {
            results.Add(await MeasureAsync(RestartPhase, count, load, requests, sampler, budget, 1, (int)settings.FaultBound.TotalSeconds,
                stop => RestartAsync(fleet, cores, stop, cancellationToken), cancellationToken));
            Say(Line(results[^1]));
            results.Add(await MeasureAsync(KillPhase, count, load, requests, sampler, budget, 1, (int)settings.FaultBound.TotalSeconds,
                stop => KillAsync(fleet, control, stop, cancellationToken), cancellationToken));
            Say(Line(results[^1]));
        }

        Say(F($"{count} instance(s): stopping the fleet"));
        return results;
    }

    /// <summary>One open-loop run at the offered rate. With a <paramref name="fault"/>, the run is as long as the fault
    /// takes (it gets a source to end the load with, and returns the phase's note) within <paramref name="seconds"/>.
    /// The connection peaks are over every sample from the generator's start, its warm-up included: the instances'
    /// connections grow most while the load ramps up.</summary>
    private async Task<FleetPhaseResult> MeasureAsync(
        string phase, int count, HttpClient load, RequestFactory requests, PgActivitySampler sampler, int? budget, int warmup, int seconds,
        Func<CancellationTokenSource, Task<FaultOutcome>>? fault, CancellationToken cancellationToken)
    {
        var schedule = new OpenLoopSchedule([new LoadSegment(Phase.Warmup, warmup, settings.Rate), new LoadSegment(Phase.Baseline, seconds, settings.Rate)]);
        var recorder = new LoadRecorder(warmup, seconds);
        var sheds = new ShedLog();
        var generator = new OpenLoopGenerator(load, requests, settings.Clients, settings.Seed, FleetMix) { OnServiceUnavailable = sheds.Add };
        using var stop = new CancellationTokenSource();
        var running = generator.RunAsync(schedule, recorder, settings.ClientTimeout, cancellationToken, stop.Token);
        var loadStarted = await generator.Started;
        Say(F($"  {phase}: load started at {DateTime.UtcNow:HH:mm:ss.fff} UTC (the instances' logs are in UTC)"));
        var start = loadStarted + (long)(warmup * Stopwatch.Frequency);
        var outcome = new FaultOutcome("");
        if (fault is not null)
        {
            await Task.Delay(TimeSpan.FromSeconds(warmup) + FaultLead, cancellationToken);
            try
            {
                outcome = await fault(stop);
            }
            finally
            {
                await stop.CancelAsync();
            }
        }

        await running;
        // The end of the schedule, or the moment the fault's load was stopped: what the served rate is over.
        var end = Math.Min(Stopwatch.GetTimestamp(), start + (long)(seconds * Stopwatch.Frequency));
        var elapsed = Math.Max(0.001, (end - start) / (double)Stopwatch.Frequency);
        var merged = recorder.Merge(0, seconds);
        var (served, failed, shed, detail) = FleetPhaseResult.Classify(merged, recorder.StatusCounts());
        var samples = sampler.Between(loadStarted, Stopwatch.GetTimestamp());
        var peakInstances = samples.Count == 0 ? -1 : samples.Max(s => s.ByApplication.Where(a => a.Key.StartsWith(InstancePrefix, StringComparison.Ordinal)).Sum(a => a.Value));
        var peakAll = samples.Count == 0 ? -1 : samples.Max(s => s.Total);
        return new FleetPhaseResult(
            phase, count, settings.Rate, elapsed, merged.Total, served,
            merged.Success.Count > 0 ? merged.Success.MillisecondsAtPercentile(50) : double.NaN,
            merged.Success.Count > 0 ? merged.Success.MillisecondsAtPercentile(99) : double.NaN,
            failed, detail, shed, peakInstances, peakAll, budget, outcome.Note, outcome.ExitCode, outcome.Seconds, sheds.Describe(warmup, seconds));
    }

    /// <summary>Embeds of many widgets, reads and a list through the API, and writes (votes, counter replaces, creates).</summary>
    internal static readonly RequestWeights FleetMix = new(Embed: 78, ApiGet: 8, ApiList: 6, Vote: 3, Update: 3); // 2% creates

    /// <summary><c>cluster restart</c> from another process, as an operator runs it; the load goes on a little after it.</summary>
    private async Task<FaultOutcome> RestartAsync(ClusterUpProcess fleet, string? cores, CancellationTokenSource stop, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var restart = await fleet.RunVerbAsync(cores, ["cluster", "restart"], cancellationToken);
        var took = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "cluster-restart.log"), restart.StandardOutput + restart.StandardError, cancellationToken);
        await Task.Delay(settings.FaultTail, cancellationToken);
        return new FaultOutcome(
            restart.ExitCode == 0
                ? F($"restart took {took:0.0} s")
                : F($"'cluster restart' exited with {restart.ExitCode} after {took:0.0} s (see cluster-restart.log)"),
            restart.ExitCode,
            took);
    }

    /// <summary>kill -9 of api-1; then, polling every 50 ms, until cluster.json shows its new process and that process answers
    /// 200 on /health/ready on api-1's port (HAProxy takes it back after two passed checks). The pid in cluster.json is only
    /// killed while its command line is still api-1's: the file may be older than the process table.</summary>
    private async Task<FaultOutcome> KillAsync(ClusterUpProcess fleet, HttpClient control, CancellationTokenSource stop, CancellationToken cancellationToken)
    {
        var victim = fleet.ReadState()?.Instances.FirstOrDefault(i => i.Name == "api-1");
        if (victim?.Pid is not { } pid)
        {
            return new FaultOutcome("api-1 had no process in cluster.json: not killed");
        }

        if (!RunsInstance(pid, "api-1") || !TryKill(pid))
        {
            return new FaultOutcome(F($"pid {pid}, recorded for api-1 in cluster.json, is not api-1 (or is gone): not killed"));
        }

        var killed = Stopwatch.GetTimestamp();
        var until = killed + (long)(settings.FaultBound.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            var now = fleet.ReadState()?.Instances.FirstOrDefault(i => i.Name == "api-1");
            if (now?.Pid is { } next && next != pid && await IsReadyAsync(control, now.Port, cancellationToken))
            {
                var back = Stopwatch.GetElapsedTime(killed).TotalSeconds;
                await Task.Delay(settings.FaultTail, cancellationToken);
                return new FaultOutcome(F($"api-1 (pid {pid}) ready again as pid {next} after {back:0.0} s"));
            }

            await Task.Delay(50, cancellationToken);
        }

        return new FaultOutcome(F($"api-1 (pid {pid}) not ready again within {settings.FaultBound.TotalSeconds:0} s"));
    }

    /// <summary>Whether <paramref name="pid"/> runs <c>--cluster-instance <paramref name="name"/></c> (its
    /// /proc/PID/cmdline, NUL-separated arguments).</summary>
    internal static bool RunsInstance(int pid, string name)
    {
        try
        {
            var arguments = File.ReadAllText(F($"/proc/{pid}/cmdline")).Split('\0');
            return arguments.Zip(arguments.Skip(1)).Any(pair => pair is ("--cluster-instance", var value) && value == name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL; false when the process ended meanwhile.</summary>
    private static bool TryKill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task<bool> IsReadyAsync(HttpClient control, int port, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await control.GetAsync(new Uri(F($"http://127.0.0.1:{port}/health/ready")), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The budget the instances share, as <c>cluster status --format json</c> computes it; null when it cannot say.</summary>
    private async Task<int?> BudgetAsync(ClusterUpProcess fleet, string? cores, CancellationToken cancellationToken)
    {
        var status = await fleet.RunVerbAsync(cores, ["cluster", "status", "--format", "json"], cancellationToken);
        try
        {
            using var json = JsonDocument.Parse(status.StandardOutput);
            if (json.RootElement.TryGetProperty("budget", out var budget) && budget.ValueKind == JsonValueKind.Number)
            {
                return budget.GetInt32();
            }
        }
        catch (JsonException)
        {
            // said below
        }

        Say($"'cluster status --format json' gave no budget (exit {status.ExitCode}): {status.StandardError.Trim()}");
        return null;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string Line(FleetPhaseResult r) =>
        F($"  {r.Phase}, {r.Instances} instance(s): {r.Throughput:0.0} req/s served of {r.OfferedRate:0} offered over {r.Seconds:0.0} s, p50 {r.P50Milliseconds:0.0} ms, p99 {r.P99Milliseconds:0.0} ms, {r.Failed} failed{(r.FailedDetail.Length > 0 ? " (" + r.FailedDetail + ")" : "")}, {r.Shed} shed, peak {r.PeakInstanceConnections} instance connections of budget {r.Budget?.ToString(CultureInfo.InvariantCulture) ?? "?"}{(r.Note.Length > 0 ? "; " + r.Note : "")}");

    private void Say(string message) => console.WriteLine($"fleet: {message}");

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What a fault phase did: its note for the table and, for <c>cluster restart</c>, its exit code and length.</summary>
internal sealed record FaultOutcome(string Note, int? ExitCode = null, double? Seconds = null);

/// <summary>Every phase's figures, the goals missed, and the table as printed.</summary>
internal sealed record FleetReport(IReadOnlyList<FleetPhaseResult> Results, IReadOnlyList<string> MissedGoals, string Markdown);
