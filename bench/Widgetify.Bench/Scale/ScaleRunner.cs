using System.Globalization;
using Widgetify.Bench.Detection;
using Widgetify.Bench.Load;
using Widgetify.Bench.Processes;
using Widgetify.Bench.Reporting;
using Widgetify.Bench.Storm;
using Widgetify.Overload.Routing;
using Widgetify.Postgres;

namespace Widgetify.Bench.Scale;

/// <summary>
/// Runs <c>bench scale</c>: one real <c>widgetify up --replicas 0 --max-replicas 2</c> in a fresh data folder, its
/// <c>/api/scaling</c> sampled throughout, and five phases against it. Surge 1: reads far above what the primary serves,
/// until the autoscaler adds a standby and that standby serves reads. Stale reads: that standby's replay paused a few
/// times while clients write and read back with and without the consistency token. Kill: under moderate reads, the
/// standby's postmaster gets SIGKILL. Surge 2: the same surge again (the dead standby is removed, a new one added).
/// Scale-in: low reads until the autoscaler removes the standby. The service is stopped with SIGTERM at the end, also
/// after a failure or Ctrl-C; nothing else is ever signalled but the standby killed on purpose and, if the service
/// died without stopping them, the PostgreSQL servers it started in the bench's own folder.
/// </summary>
internal sealed class ScaleRunner(ScaleSettings settings, TextWriter console)
{
    /// <summary>What <c>up</c> prints once PostgreSQL, its standbys and the service run.</summary>
    internal const string Banner = "Widgetify is up";

    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan WarmupLength = TimeSpan.FromSeconds(6);

    /// <summary>Closed-loop workers of the warm-up: enough to get the read path's code compiled and its pool open, far from
    /// saturating anything (the autoscaler must not count the warm-up as a surge).</summary>
    private const int WarmupWorkers = 8;

    private readonly TimeProvider time = TimeProvider.System;
    private readonly List<string> notes = [];

    private static readonly string[] UpArguments =
        ["--replicas", Invariant($"{ScaleSettings.MinReplicas}"), "--max-replicas", Invariant($"{ScaleSettings.MaxReplicas}")];

    public async Task<ScaleReport> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.OutputDirectory);
        var work = WorkFolder.Create("widgetify-bench-scale-");
        var dataDirectory = Path.Combine(work, "data");
        var startedAt = time.GetUtcNow();
        ServiceProcess? service = null;
        ScaleReport report;
        try
        {
            var version = await ServiceBuild.VersionAsync(settings.ServiceDll, cancellationToken);
            var launch = new ServiceLaunch(
                ServiceBuild.Snapshot(settings.ServiceDll, work), DatabaseUrl: null, FreePort.Pick(), dataDirectory, settings.DemoWidgets,
                Path.Combine(settings.OutputDirectory, "service.log"), settings.Environment)
            {
                ExtraArguments = UpArguments,
            };
            Say($"output in {settings.OutputDirectory}");
            Say($"starting widgetify up {string.Join(' ', UpArguments)} in {dataDirectory} with {string.Join(", ", settings.Environment.Select(e => $"{e.Key}={e.Value}"))}");
            service = ServiceProcess.Start(launch);
            await service.WaitForOutputAsync(Banner, UpTimeout, cancellationToken);
            report = await MeasureAsync(service, version, startedAt, cancellationToken);
        }
        finally
        {
            await StopAsync(service, work, dataDirectory);
        }

        await WriteAsync(report, cancellationToken);
        return report;
    }

    private async Task<ScaleReport> MeasureAsync(ServiceProcess service, string version, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        using var control = BenchHttpClients.Control();
        var apiKey = service.ReadApiKey();
        var operatorKey = service.ReadOperatorKey() ?? throw new ServiceStartException("up saved no operator-api-key, so GET /api/scaling cannot be read.");
        var ids = (await service.ListWidgetIdsAsync(control, apiKey, settings.ReadWidgets, cancellationToken)).Take(settings.ReadWidgets).ToList();
        var machine = await MachineAsync(service.DataDirectory, cancellationToken);
        Say(Invariant($"service pid {service.ProcessId} up on {service.BaseAddress}; reads over {ids.Count} widgets"));

        using var sampling = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var sampler = new ScalingSampler(
            new MonitoringClient(sampling, service.BaseAddress, operatorKey, TimeSpan.FromSeconds(2), time), settings.SampleInterval, time);
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var samplingTask = sampler.RunAsync(stopSampling.Token);
        var target = new ScaleTarget(service, apiKey, new RequestFactory(service.BaseAddress, apiKey, ids), sampler);
        var phases = new ScalePhases(settings, target, time, Say);
        try
        {
            // JIT and pools warm up closed loop, which cannot overload anything, so the first surge meets a warm service.
            using (var warmup = BenchHttpClients.Load(WarmupWorkers, settings.ClientTimeout))
            {
                await ClosedLoopRamp.RunAsync(warmup, target.Requests, [WarmupWorkers], WarmupLength, settings.Seed, cancellationToken);
            }

            notes.Add(Invariant($"Before surge 1: {WarmupLength.TotalSeconds:0} s of {WarmupWorkers} closed-loop workers (the storm's mix, 5% creates) to warm the service up; not recorded."));

            var first = await phases.SurgeAsync("surge 1", cancellationToken);
            var consistency = await phases.StaleReadsAsync(cancellationToken);
            var kill = await phases.KillAsync(cancellationToken);
            await phases.WaitForCooldownAsync(cancellationToken);
            var second = await phases.SurgeAsync("surge 2", cancellationToken);
            var scaleIn = await phases.ScaleInAsync(cancellationToken);
            return Report(
                phases, sampler, version, startedAt, machine, [.. new[] { first, second }.OfType<ScaleOutResult>()], consistency, kill, scaleIn,
                service.ExitCode);
        }
        finally
        {
            await stopSampling.CancelAsync();
            try
            {
                await samplingTask;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private ScaleReport Report(
        ScalePhases phases, ScalingSampler sampler, string version, DateTimeOffset startedAt, MachineFacts? machine, IReadOnlyList<ScaleOutResult> surges,
        ConsistencyResult? consistency, KillOutcome? kill, ScaleInOutcome? scaleIn, int? serviceExitCode)
    {
        var samples = sampler.Samples;
        var spans = phases.Phases;
        var origin = spans.Count > 0 ? spans.Min(p => p.From) : startedAt;
        var end = spans.Count > 0 ? spans.Max(p => p.To) : time.GetUtcNow();
        var replica = new ReplicaOptions();
        var decisions = new Dictionary<(DateTimeOffset, string, int), ScalingDecision>();
        foreach (var decision in samples.SelectMany(s => s.Status.Decisions))
        {
            decisions[(decision.At, decision.Direction, decision.From)] = decision; // a later sample's state wins
        }

        if (sampler.Failures > 0)
        {
            notes.Add(Invariant($"{sampler.Failures} of {sampler.Polls} polls of /api/scaling failed (last: {sampler.LastFailure}); the timings are from the samples that arrived."));
        }

        var report = new ScaleReport
        {
            CommandLine = settings.CommandLine,
            StartedAt = startedAt,
            Origin = origin,
            Machine = machine,
            ServiceVersion = version,
            UpArguments = string.Join(' ', UpArguments) + Invariant($" --demo-widgets {settings.DemoWidgets}"),
            Overrides = settings.Environment,
            SurgeRate = settings.SurgeRate,
            ModerateRate = settings.ModerateRate,
            LowRate = settings.LowRate,
            Clients = settings.Clients,
            ReadWidgets = settings.ReadWidgets,
            MaxLagSeconds = replica.MaxLag.TotalSeconds,
            PollIntervalSeconds = replica.PollInterval.TotalSeconds,
            ScaleInWindowSeconds = settings.Override("ScaleInWindow").TotalSeconds,
            SampleIntervalSeconds = settings.SampleInterval.TotalSeconds,
            Phases = [.. spans.OrderBy(p => p.From).Select(p => new ScalePhase(
                p.Name, (p.From - origin).TotalSeconds, (p.To - origin).TotalSeconds, p.Load?.Rate, p.Load?.Total(), p.What))],
            ScaleOuts = surges,
            Kill = kill?.Result,
            KillWindow = kill?.Window,
            Consistency = consistency,
            ScaleIn = scaleIn?.Result,
            DrainWindow = scaleIn?.Drain,
            Rates = phases.Rates,
            Decisions = [.. decisions.Values.Where(d => d.At >= startedAt).OrderBy(d => d.At)],
            Misses = phases.Misses,
            Notes = [.. notes, .. phases.Notes],
            Series = ScaleSecond.Build(samples, phases.Loads, origin, (int)Math.Ceiling((end - origin).TotalSeconds) + 1),
            ServiceExitCode = serviceExitCode,
            Polls = sampler.Polls,
            PollFailures = sampler.Failures,
        };
        return report with { Figures = ScaleFigures.Evaluate(report) };
    }

    /// <summary>Writes scale.md, scale.json and scale.svg and prints the Markdown.</summary>
    private async Task WriteAsync(ScaleReport report, CancellationToken cancellationToken)
    {
        Say(await ReportFiles.WriteAsync(
            settings.OutputDirectory, "scale", ScaleMarkdown.Write(report), JsonReportWriter.Write(report), ScaleChart.Write(report), console,
            cancellationToken));
    }

    private async Task<MachineFacts?> MachineAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        if (RunningServer.Find(dataDirectory) is not { } primary)
        {
            notes.Add("The primary's settings could not be read (no running server found in the data folder).");
            return null;
        }

        return (await StormRunner.ReadServerAsync(primary.AdminConnectionString, cancellationToken)).Machine;
    }

    /// <summary>SIGTERM to <c>up</c> (it stops the service, then the standbys, then the primary); if it had to be killed,
    /// the servers it left in the bench's folder get SIGTERM by their pid. Then the logs are kept and the folder deleted.</summary>
    private async Task StopAsync(ServiceProcess? service, string work, string dataDirectory)
    {
        if (service is not null)
        {
            if (!await service.StopAsync(StopGrace))
            {
                Say(Invariant($"widgetify up did not stop within {StopGrace.TotalSeconds:0} s of SIGTERM: killed"));
            }

            await service.DisposeAsync();
        }

        var standbys = Path.Combine(dataDirectory, "standbys");
        var roots = (Directory.Exists(standbys) ? Directory.GetDirectories(standbys) : []).Append(dataDirectory).ToList();
        foreach (var root in roots)
        {
            if (RunningServer.Find(root) is { } left)
            {
                Say($"PostgreSQL (pid {left.PostmasterPid}) still runs in {root}: SIGTERM");
                ChildProcesses.Terminate(left.PostmasterPid);
                await WaitGoneAsync(root);
            }

            var log = Path.Combine(root, "logs", "postgresql.log");
            if (File.Exists(log))
            {
                File.Copy(log, Path.Combine(settings.OutputDirectory, $"postgresql-{(root == dataDirectory ? "primary" : Path.GetFileName(root))}.log"), overwrite: true);
            }
        }

        if (WorkFolder.TryDelete(work) is { } failure)
        {
            Say(failure);
        }
    }

    private async Task WaitGoneAsync(string root)
    {
        for (var i = 0; i < 100 && RunningServer.Find(root) is not null; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), time);
        }
    }

    private void Say(string message) => console.WriteLine($"scale: {message}");

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
