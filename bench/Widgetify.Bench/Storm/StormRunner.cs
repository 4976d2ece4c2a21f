using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Npgsql;
using Widgetify.Bench.Detection;
using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;
using Widgetify.Bench.Processes;
using Widgetify.Bench.Reporting;
using Widgetify.Overload.PoolGovernance;
using Widgetify.Postgres;

namespace Widgetify.Bench.Storm;

/// <summary>
/// Runs the storm: one embedded PostgreSQL for everything, a capacity ramp against configuration 5, then each
/// configuration as its own service process under the same open-loop load (warm-up, baseline, storm,
/// recovery), with PostgreSQL's client backends sampled throughout. Every process it starts is stopped in a
/// finally block, so a failure or Ctrl-C leaves nothing running.
/// </summary>
internal sealed class StormRunner(StormSettings settings, TextWriter console)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ConnectionsGoneTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Closed-loop workers of the warm-up's first half.</summary>
    internal const int WarmupWorkers = 4;

    /// <summary>The setting every configuration gets so that its incident can resolve while the bench still looks.</summary>
    internal const string IncidentResolveAfterVariable = "Widgetify__Monitoring__Incidents__ResolveAfter";

    /// <summary>Where <c>widgetify up</c> writes postmortem drafts by default: <c>&lt;data-dir&gt;/postmortems</c>.</summary>
    private const string PostmortemFolder = "postmortems";

    private readonly List<string> notes = [];

    public async Task<StormReport> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.OutputDirectory);
        var work = WorkFolder.Create("widgetify-bench-");
        PostgresCluster? cluster = null;
        try
        {
            Say($"output in {settings.OutputDirectory}");
            Say($"starting PostgreSQL (max_connections {settings.MaxConnections}, fsync off) in {work}");
            cluster = await PostgresCluster.StartAsync(
                new PostgresClusterOptions { DataDirectory = Path.Combine(work, "pg"), Durable = false, MaxConnections = settings.MaxConnections },
                cancellationToken: cancellationToken);
            var (machine, limits) = await ReadServerAsync(cluster.AdminConnectionString, cancellationToken);
            await using var sampler = new PgActivitySampler(cluster.AdminConnectionString, TimeSpan.FromMilliseconds(100));
            await sampler.StartAsync(cancellationToken);
            var serviceVersion = await ServiceBuild.VersionAsync(settings.ServiceDll, cancellationToken);
            var postmaster = await PostmasterPidAsync(cluster.AdminConnectionString, cancellationToken);
            var context = new RunContext(cluster, sampler, work, Path.Combine(work, "service-data"), ServiceBuild.Snapshot(settings.ServiceDll, work), postmaster);
            Directory.CreateDirectory(context.ServiceDataDirectory);

            await SeedAsync(context, cancellationToken);
            var plan = AffinityPlan.For(Environment.ProcessorCount, settings.Pin);
            Pin(plan, context);
            notes.Add("CPU: " + plan.Reason + ".");

            // The reference (Widgetify, 5) runs first: its peak of each shape sets that shape's rates for everyone.
            var order = settings.Configurations.OrderBy(n => n == BenchConfiguration.WidgetifyNumber ? 0 : 1).ThenBy(n => n).ToList();
            var shapes = new ShapeRates(settings);
            var results = new List<ConfigurationResult>();
            var runs = new Dictionary<StormShape, List<ShapeRun>>();
            foreach (var number in order)
            {
                var configuration = BenchConfiguration.All[number - 1];
                var (legacy, shapeRuns) = await RunConfigurationAsync(context, configuration, plan, shapes, limits, cancellationToken);
                results.Add(legacy);
                foreach (var (shape, run) in shapeRuns)
                {
                    (runs.TryGetValue(shape, out var list) ? list : runs[shape] = []).Add(run);
                }
            }

            results.Sort((a, b) => a.Number.CompareTo(b.Number));
            var legacyShape = settings.Shapes.Contains(StormShape.Mixed) ? StormShape.Mixed : settings.Shapes[0];
            var capacity = shapes.Capacity(legacyShape);
            var baselineRate = shapes.Baseline(legacyShape);
            var stormRate = shapes.Offered(legacyShape);
            var shapeReports = settings.Shapes.Select(shape => BuildShape(shape, shapes, runs.GetValueOrDefault(shape) ?? [], context.WidgetCount)).ToList();

            var widgetify = results.Find(r => r.Number == BenchConfiguration.WidgetifyNumber);
            var reported = widgetify?.ReportedBudget;
            var budget = reported ?? StormTargets.ComputedBudget(limits);
            notes.Add(reported is null
                ? F($"Connection budget {budget} computed as max_connections {limits.MaxConnections} - superuser_reserved_connections {limits.SuperuserReservedConnections} - reserved_connections {limits.ReservedConnections} - {StormTargets.ReservedForOtherClients} kept for other clients: the service did not report one on /health/ready.")
                : F($"Connection budget {budget} as reported by configuration 5's /health/ready (connectionBudget)."));
            notes.Add(F($"Detection: every configuration ran with {IncidentResolveAfterVariable}={Format(settings.IncidentResolveAfter)} (the service's default is 30 s) so that an incident can resolve, and its postmortem draft be written, while the bench still polls; after the load the bench polled for up to {settings.ResolutionWait.TotalSeconds:0} s more before stopping the service. /api/alerts and /api/incidents were polled every {settings.DetectionPollInterval.TotalMilliseconds:0} ms from the storm's onset with the operator key (they bypass admission control); a poll that timed out or failed was counted, not retried."));
            if (sampler.Failures > 0)
            {
                notes.Add(F($"{sampler.Failures} pg_stat_activity samples failed (the sampler reconnected)."));
            }

            var report = new StormReport
            {
                CommandLine = settings.CommandLine,
                StartedAt = DateTimeOffset.UtcNow,
                Machine = machine,
                ServiceVersion = serviceVersion,
                Capacity = capacity,
                BaselineRate = baselineRate,
                StormRate = stormRate,
                Clients = settings.Clients,
                ClientTimeoutSeconds = settings.ClientTimeout.TotalSeconds,
                WarmupSeconds = settings.WarmupSeconds,
                BaselineSeconds = settings.BaselineSeconds,
                StormSeconds = settings.StormSeconds,
                RecoverySeconds = settings.RecoverySeconds,
                Configurations = results,
                Targets = StormTargets.Evaluate(widgetify, results, capacity.RequestsPerSecond, budget, reported is not null),
                Notes = notes,
                Affinity = plan.Reason,
                Overload = settings.Overload,
                Shapes = shapeReports,
            };
            await WriteReportsAsync(report, cancellationToken);
            return report;
        }
        finally
        {
            await CleanUpAsync(cluster, work);
        }
    }

    private sealed record RunContext(
        PostgresCluster Cluster, PgActivitySampler Sampler, string WorkDirectory, string ServiceDataDirectory, string ServiceDll, int PostmasterPid)
    {
        /// <summary>Widgets the demo tenant has (set once a service has listed them).</summary>
        public int WidgetCount { get; set; }
    }

    /// <summary>A running, ready service with what the load needs from it.</summary>
    private sealed record ReadyService(
        ServiceProcess Process, string ApiKey, IReadOnlyList<Guid> WidgetIds, IReadOnlyList<Guid> PollIds, IReadOnlyList<Guid> CounterIds, int? Budget);

    /// <summary>This configuration's closed-loop peak of one shape: one unrecorded step (JIT, pools, connections), then the ramp;
    /// the best 2xx goodput. Closed loop cannot overload by much, so it finds what the configuration sustains.</summary>
    private async Task<CapacityResult> MeasurePeakAsync(RequestFactory requests, StormShape shape, CancellationToken cancellationToken)
    {
        if (settings.Capacity is { } given)
        {
            return new CapacityResult(given, Measured: false, []);
        }

        using var client = BenchHttpClients.Load(Math.Max(64, settings.RampWorkers.Max()), settings.ClientTimeout);
        var weights = StormShapes.Weights(shape);
        // The unrecorded step runs with the most workers, so that every connection of the ramp is open before it is measured.
        await ClosedLoopRamp.RunAsync(client, requests, [settings.RampWorkers.Max()], settings.RampStep, settings.Seed, cancellationToken, weights);
        var steps = await ClosedLoopRamp.RunAsync(client, requests, settings.RampWorkers, settings.RampStep, settings.Seed, cancellationToken, weights);
        Say("  peak ramp: " + string.Join(", ", steps.Select(s => F($"{s.Workers} workers {s.Goodput:0} req/s{(s.Failures > 0 ? F($" ({s.Failures} failed)") : "")}"))));
        return new CapacityResult(steps.Max(s => s.Goodput), Measured: true, [.. steps.Select(s => new RampStepResult(s.Workers, s.Seconds, s.Successes, s.Failures, s.Goodput))]);
    }

    /// <summary>Seeds the demo tenant's widgets (20,000 by default: a bulk import on the service's first start) with
    /// a service of its own, unpinned and before anything is measured, so that no configuration's start pays for it
    /// (pinned to one loaded core, the first start's import failed with Npgsql's "Exception while reading from stream",
    /// a command timeout) and every one finds the same data.</summary>
    private async Task SeedAsync(RunContext context, CancellationToken cancellationToken)
    {
        Say(F($"seeding {settings.DemoWidgets:N0} demo widgets"));
        var started = Stopwatch.GetTimestamp();
        var environment = WithApplicationName(BenchConfiguration.All[BenchConfiguration.WidgetifyNumber - 1].Environment, "widgetify-bench-seed");
        environment["Widgetify__Database__CommandTimeoutSeconds"] = "120";
        ServiceProcess? process = null;
        try
        {
            var service = await StartServiceAsync(context, environment, context.Cluster.AppConnectionString, "service-seed.log", null, cancellationToken);
            process = service.Process;
        }
        finally
        {
            await StopServiceAsync(context, process, bouncer: null);
        }

        Say(F($"  seeded in {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s"));
    }

    /// <summary>Pins this process to the generator's cores and PostgreSQL (postmaster and children; new backends
    /// inherit it) to the service's; a failure is reported and the run goes on unpinned.</summary>
    private void Pin(AffinityPlan plan, RunContext context)
    {
        if (!plan.Pinned)
        {
            return;
        }

        var failures = new List<string>();
        if (CpuPinning.Pin(Environment.ProcessId, plan.GeneratorCores!) is { } self)
        {
            failures.Add(self);
        }

        failures.AddRange(CpuPinning.PinTree(context.PostmasterPid, plan.ServiceCores!));
        foreach (var failure in failures)
        {
            Say("pinning: " + failure);
            notes.Add("Pinning failed: " + failure);
        }
    }

    private async Task<(ConfigurationResult Legacy, List<(StormShape Shape, ShapeRun Run)> Runs)> RunConfigurationAsync(
        RunContext context, BenchConfiguration configuration, AffinityPlan plan, ShapeRates rates, ServerConnectionLimits limits,
        CancellationToken cancellationToken)
    {
        Say($"configuration {configuration.Number} '{configuration.Name}': {configuration.Description}");
        var environment = WithApplicationName(configuration.Environment, configuration.ApplicationName);
        environment[IncidentResolveAfterVariable] = Format(settings.IncidentResolveAfter);
        PgBouncerProcess? bouncer = null;
        ServiceProcess? process = null;
        var runs = new List<(StormShape, ShapeRun)>();
        ConfigurationResult? legacy = null;
        var leftovers = 0;
        try
        {
            var databaseUrl = context.Cluster.AppConnectionString;
            if (configuration.UsesPgBouncer)
            {
                bouncer = await PgBouncerProcess.StartAsync(context.Cluster.AppConnectionString, context.WorkDirectory, cancellationToken);
                databaseUrl = bouncer.ClientConnectionString;
                if (plan.Pinned)
                {
                    foreach (var failure in CpuPinning.PinTree(bouncer.ProcessId, plan.ServiceCores!))
                    {
                        Say("  pinning: " + failure);
                    }
                }

                Say(F($"  PgBouncer on 127.0.0.1:{bouncer.Port} (transaction pooling, default_pool_size {PgBouncerProcess.DefaultPoolSize}, max_client_conn {PgBouncerProcess.MaxClientConnections})"));
            }

            var service = await StartServiceAsync(context, environment, databaseUrl, $"service-{configuration.Number}.log", plan.ServiceCores, cancellationToken);
            process = service.Process;
            var budget = service.Budget ?? StormTargets.ComputedBudget(limits);
            var roots = new Dictionary<string, int>
            {
                [CpuSampler.Generator] = Environment.ProcessId,
                [CpuSampler.Service] = process.ProcessId,
                [CpuSampler.Postgres] = context.PostmasterPid,
            };
            if (bouncer is not null)
            {
                roots[CpuSampler.PgBouncer] = bouncer.ProcessId;
            }

            await using var cpu = new CpuSampler(roots, TimeSpan.FromMilliseconds(200));
            cpu.Start();
            // The mixed storm first, on a fresh service as before the shapes (with the detection polling), then the others.
            foreach (var shape in settings.Shapes.OrderBy(s => s == StormShape.Mixed ? 0 : 1).ThenBy(s => s))
            {
                var requests = StormShapes.Factory(shape, process.BaseAddress, service.ApiKey, service.WidgetIds, service.PollIds, service.CounterIds);
                Say($"  shape {StormShapes.Name(shape)}: {StormShapes.Describe(shape, service.WidgetIds.Count)}");
                CapacityResult peak;
                try
                {
                    peak = await MeasurePeakAsync(requests, shape, cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is InvalidOperationException or HttpRequestException or IOException)
                {
                    runs.Add((shape, new ShapeRun { Number = configuration.Number, Name = configuration.Name, Failure = "peak ramp failed: " + ex.Message, Budget = budget }));
                    continue;
                }

                rates.Offer(shape, configuration.Number, peak);
                var baselineRate = rates.Baseline(shape);
                var stormRate = rates.Offered(shape);
                var detect = shape == (settings.Shapes.Contains(StormShape.Mixed) ? StormShape.Mixed : settings.Shapes.Min());
                var (result, cores) = await RunLoadAsync(
                    context, configuration, environment, service, requests, StormShapes.Weights(shape), baselineRate, stormRate, detect, cpu, cancellationToken);
                var run = new ShapeRun
                {
                    Number = configuration.Number,
                    Name = configuration.Name,
                    Peak = peak.RequestsPerSecond,
                    PeakMeasured = peak.Measured,
                    PeakSteps = peak.Steps,
                    Baseline = result.Baseline,
                    Storm = result.Storm,
                    Recovery = result.Recovery,
                    SecondsToRecover = result.SecondsToRecover,
                    PeakPgConnections = result.PeakPgConnections,
                    Budget = budget,
                    Cores = cores,
                    Series = result.Series,
                };
                runs.Add((shape, run));
                var storm = result.Storm!;
                Say(F($"  {StormShapes.Name(shape)}: peak {run.Peak:0} req/s, offered {storm.OfferedRate:0} (k {run.K:0.0}), goodput {storm.Goodput:0} req/s ({run.GoodputShare:0.00} of min(peak, offered)), p99 {storm.P99Ms:0.0} ms vs unloaded {result.Baseline!.P99Ms:0.0}, {run.ErrorsOther} errors other than 503, peak PG {run.PeakPgConnections}/{budget}; cores in storm: {Cores(cores, "storm")}"));
                if (detect)
                {
                    legacy = result;
                }
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested &&
            ex is ServiceStartException or InvalidOperationException or HttpRequestException or IOException or JsonException or NpgsqlException or TaskCanceledException)
        {
            Say($"  FAILED: {ex.Message}");
            legacy = null;
            var done = runs.Select(r => r.Item1).ToHashSet();
            runs.AddRange(settings.Shapes.Where(s => !done.Contains(s)).Select(s =>
                (s, new ShapeRun { Number = configuration.Number, Name = configuration.Name, Failure = ex.Message })));
            legacy = new ConfigurationResult
            {
                Number = configuration.Number,
                Name = configuration.Name,
                Description = configuration.Description,
                Environment = environment,
                Failure = ex.Message,
            };
        }
        finally
        {
            leftovers = await StopServiceAsync(context, process, bouncer);
        }

        legacy ??= new ConfigurationResult
        {
            Number = configuration.Number,
            Name = configuration.Name,
            Description = configuration.Description,
            Environment = environment,
            Failure = "no storm measured",
        };
        if (legacy.Detection is { } detection)
        {
            legacy = legacy with { DetectionTargets = StormTargets.EvaluateDetection(legacy) };
            Say("  detection: " + DetectionSummary(detection));
        }

        return (legacy with { LeftoverConnectionsTerminated = leftovers }, runs);
    }

    private static string Cores(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> cores, string phase) =>
        cores.TryGetValue(phase, out var byGroup) ? string.Join(", ", byGroup.Select(g => F($"{g.Key} {g.Value:0.00}"))) : "n/a";

    /// <summary>One shape's table: the runs, the guard's overhead and the goals, all computed from the measurements.</summary>
    private static ShapeReport BuildShape(StormShape shape, ShapeRates rates, IReadOnlyList<ShapeRun> runs, int widgets)
    {
        var report = new ShapeReport
        {
            Shape = StormShapes.Name(shape),
            Description = StormShapes.Describe(shape, widgets),
            ReferenceNumber = rates.ReferenceNumber(shape),
            ReferencePeak = rates.ReferencePeak(shape),
            BaselineRate = rates.Baseline(shape),
            OfferedRate = rates.Offered(shape),
            Runs = [.. runs.OrderBy(r => r.Number)],
            GuardOverhead = ShapeGoals.OverheadOf(runs),
        };
        return report with { Goals = ShapeGoals.Evaluate(report) };
    }

    private async Task<(ConfigurationResult Result, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Cores)> RunLoadAsync(
        RunContext context, BenchConfiguration configuration, IReadOnlyDictionary<string, string> environment, ReadyService service,
        RequestFactory requests, RequestWeights weights, double baselineRate, double stormRate, bool detect, CpuSampler cpu,
        CancellationToken cancellationToken)
    {
        using var client = BenchHttpClients.Load(settings.Clients, settings.ClientTimeout);
        var generator = new OpenLoopGenerator(client, requests, settings.Clients, settings.Seed, weights);
        // A cold service (JIT, an empty pool) hit at once by an open-loop rate can spiral before it is warm, and
        // then the baseline would measure a cold start rather than normal traffic. So the warm-up's first half is
        // closed loop with a few workers (it cannot overload anything), its second half open loop at the
        // baseline rate. Neither is recorded.
        if (detect)
        {
            await WaitForNoOpenIncidentAsync(service, cancellationToken);
        }

        await ClosedLoopRamp.RunAsync(
            client, requests, [WarmupWorkers], TimeSpan.FromSeconds((settings.WarmupSeconds + 1) / 2), settings.Seed, cancellationToken, weights);
        var openWarmup = settings.WarmupSeconds / 2;
        var schedule = new OpenLoopSchedule(
        [
            new LoadSegment(Phase.Warmup, openWarmup, baselineRate),
            new LoadSegment(Phase.Baseline, settings.BaselineSeconds, baselineRate),
            new LoadSegment(Phase.Storm, settings.StormSeconds, stormRate),
            new LoadSegment(Phase.Recovery, settings.RecoverySeconds, baselineRate),
        ]);
        var recorded = settings.BaselineSeconds + settings.StormSeconds + settings.RecoverySeconds;
        var recorder = new LoadRecorder(openWarmup, recorded);
        Say(F($"  load: {settings.WarmupSeconds} s warm-up ({WarmupWorkers} closed-loop workers, then the baseline rate), {settings.BaselineSeconds} s baseline, {settings.StormSeconds} s storm, {settings.RecoverySeconds} s recovery ({schedule.TotalRequests:N0} requests due)"));
        using var control = BenchHttpClients.Control();
        using var poller = detect ? StartDetection(service, control) : null;
        var polling = poller?.RunAsync(OnsetAsync(generator, schedule.StartOf(Phase.Storm)), cancellationToken);
        var ownCpuBefore = Environment.CpuUsage.TotalTime;
        var serviceCpuBefore = service.Process.CpuTime;
        var wallBefore = Stopwatch.GetTimestamp();
        try
        {
            await generator.RunAsync(schedule, recorder, settings.ClientTimeout + TimeSpan.FromSeconds(1), cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch
        {
            poller?.Stop();
            if (polling is not null)
            {
                await Task.WhenAny(polling); // ends at once after Stop; its cancellation is not this failure's news
                _ = polling.Exception;
            }

            throw;
        }

        // From here the poller only waits for the incident to resolve; the measurements below are taken as before.
        poller?.LoadEnded();
        var ownCpu = (Environment.CpuUsage.TotalTime - ownCpuBefore).TotalSeconds;
        var serviceCpu = (service.Process.CpuTime - serviceCpuBefore).TotalSeconds;
        var wall = Stopwatch.GetElapsedTime(wallBefore).TotalSeconds;

        // PostgreSQL backends, per second of the run (by the second each sample fell in).
        var start = generator.StartTimestamp;
        var samples = context.Sampler.Between(start, Stopwatch.GetTimestamp());
        int peak = 0, peakOwn = 0;
        foreach (var sample in samples)
        {
            peak = Math.Max(peak, sample.Total);
            peakOwn = Math.Max(peakOwn, sample.ByApplication.GetValueOrDefault(configuration.ApplicationName));
            // Samples of the warm-up, and of the drain after the schedule's last second, belong to no second.
            var second = recorder.RecordedSecondAt((sample.Timestamp - start) / (double)Stopwatch.Frequency);
            if (second >= 0)
            {
                var bucket = recorder.Seconds[second];
                bucket.PeakPgConnections = Math.Max(bucket.PeakPgConnections, sample.Total);
            }
        }

        var baseline = ResultBuilder.Phase(recorder, Phase.Baseline, 0, settings.BaselineSeconds, baselineRate);
        var storm = ResultBuilder.Phase(recorder, Phase.Storm, settings.BaselineSeconds, settings.StormSeconds, stormRate);
        var recoveryStart = settings.BaselineSeconds + settings.StormSeconds;
        var recovery = ResultBuilder.Phase(recorder, Phase.Recovery, recoveryStart, settings.RecoverySeconds, baselineRate);
        // Cores of each group per phase, from the generator's time zero and the schedule's phase starts.
        var at = (double seconds) => start + (long)(seconds * Stopwatch.Frequency);
        var recoveryEnd = schedule.StartOf(Phase.Recovery) + settings.RecoverySeconds;
        var cores = new Dictionary<string, IReadOnlyDictionary<string, double>>
        {
            ["baseline"] = cpu.CoresBetween(at(schedule.StartOf(Phase.Baseline)), at(schedule.StartOf(Phase.Storm))),
            ["storm"] = cpu.CoresBetween(at(schedule.StartOf(Phase.Storm)), at(schedule.StartOf(Phase.Recovery))),
            ["recovery"] = cpu.CoresBetween(at(schedule.StartOf(Phase.Recovery)), at(recoveryEnd)),
        };
        DetectionResult? detection = !detect ? null
            : polling is null
            ? new DetectionResult { NotMeasured = "the service wrote no operator-api-key, so /api/alerts and /api/incidents could not be read" }
            : KeepPostmortem(await DetectionAsync(polling));
        return (new ConfigurationResult
        {
            Number = configuration.Number,
            Name = configuration.Name,
            Description = configuration.Description,
            Environment = environment,
            Baseline = baseline,
            Storm = storm,
            Recovery = recovery,
            SecondsToRecover = ResultBuilder.SecondsToRecover(recorder, recoveryStart, baseline.P99Ms),
            PeakPgConnections = peak,
            PeakOwnConnections = peakOwn,
            ReportedBudget = service.Budget,
            StatusCounts = recorder.StatusCounts(),
            Series = ResultBuilder.Series(recorder, settings.BaselineSeconds, settings.StormSeconds),
            LoadSeconds = wall,
            GeneratorCpuSeconds = ownCpu,
            ServiceCpuSeconds = serviceCpu,
            Detection = detection,
        }, cores);
    }

    /// <summary>An incident the previous configuration's service left open is re-attached by this one (for the service, a
    /// stop and a start look like a restart), and this configuration's alerts would join it instead of opening their
    /// own. The idle service resolves it once healthy for ResolveAfter: wait for that (bounded), through the API.</summary>
    private async Task WaitForNoOpenIncidentAsync(ReadyService service, CancellationToken cancellationToken)
    {
        if (service.Process.ReadOperatorKey() is not { } operatorKey)
        {
            return;
        }

        using var control = BenchHttpClients.Control();
        var monitoring = new MonitoringClient(control, service.Process.BaseAddress, operatorKey, control.Timeout, TimeProvider.System);
        var bound = settings.IncidentWait ?? settings.IncidentResolveAfter + TimeSpan.FromSeconds(15);
        if (bound <= TimeSpan.Zero)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        PolledIncident? open = null;
        while (true)
        {
            // Only an answer that lists no open incident confirms it; a failed request keeps the wait going until the bound.
            var (incidents, _) = await monitoring.GetAsync("/api/incidents?limit=5", MonitoringJson.ParseIncidents, cancellationToken);
            var confirmedNoneOpen = false;
            if (incidents is not null)
            {
                open = incidents.FirstOrDefault(i => !i.IsResolved);
                confirmedNoneOpen = open is null;
            }

            var waited = Stopwatch.GetElapsedTime(started);
            if (confirmedNoneOpen)
            {
                if (waited > TimeSpan.FromSeconds(1))
                {
                    Say(F($"  waited {waited.TotalSeconds:0} s for the incident an earlier configuration left open to resolve"));
                }

                return;
            }

            if (waited > bound)
            {
                Say(F($"  incident {open?.Id.ToString() ?? "(unknown: the service did not answer)"} left open by an earlier configuration did not resolve within {bound.TotalSeconds:0} s; this configuration's alerts may join it"));
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private DetectionPoller? StartDetection(ReadyService service, HttpClient control)
    {
        if (service.Process.ReadOperatorKey() is not { } operatorKey)
        {
            return null;
        }

        var options = new DetectionPollerOptions { Interval = settings.DetectionPollInterval, ResolutionWait = settings.ResolutionWait };
        return new DetectionPoller(
            control, service.Process.BaseAddress, operatorKey, Path.Combine(service.Process.DataDirectory, PostmortemFolder), options, TimeProvider.System);
    }

    /// <summary>The poller's result; a bug in it costs the detection figures, never the configuration's measurements.</summary>
    private async Task<DetectionResult> DetectionAsync(Task<DetectionResult> polling)
    {
        try
        {
            return await polling;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Say($"  detection polling failed: {ex}");
            return new DetectionResult { NotMeasured = $"the poller failed: {ex.GetType().Name}: {ex.Message}" };
        }
    }

    /// <summary>The storm's onset as a Stopwatch timestamp: the generator's time zero plus the storm segment's start.</summary>
    private static async Task<long> OnsetAsync(OpenLoopGenerator generator, double stormStartSeconds) =>
        await generator.Started + (long)(stormStartSeconds * Stopwatch.Frequency);

    /// <summary>Copies the postmortem draft into the output folder, since the service's data folder is deleted after the run.</summary>
    private DetectionResult KeepPostmortem(DetectionResult detection)
    {
        if (detection.Incident is not { PostmortemFile: { } draft } incident)
        {
            return detection;
        }

        try
        {
            return detection with { Incident = incident with { PostmortemCopy = PostmortemFiles.CopyToOutput(draft, settings.OutputDirectory) } };
        }
        catch (IOException ex)
        {
            Say($"  could not copy the postmortem draft {draft}: {ex.Message}");
            return detection;
        }
    }

    internal static string DetectionSummary(DetectionResult d)
    {
        if (d.NotMeasured is { } why)
        {
            return "not measured: " + why;
        }

        var alert = d.SecondsToFirstAlert is { } s ? F($"first alert {d.FirstAlert} {s:0.0} s after onset") : "no alert after onset";
        var incident = d.Incident is not { } i
            ? "no incident opened"
            : F($"incident {DetectionTracker.Prefix(i.Id)} detected {i.DetectedAfterOnsetSeconds:0.0} s, ") +
              (i.MitigatedAfterOnsetSeconds is { } m ? F($"mitigated {m:0.0} s, ") : "not mitigated, ") +
              (i.ResolvedAfterOnsetSeconds is { } r ? F($"resolved {r:0.0} s after onset; postmortem draft {(i.PostmortemWritten ? "written" : "missing")}") : F($"not resolved within {d.ObservedSeconds:0} s"));
        return $"{alert}; {incident}" + (d.PollFailures > 0 ? F($"; {d.PollFailures} failed polls") : "");
    }

    private static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    /// <summary>The postmaster's pid: the parent of the backend serving this connection.</summary>
    private static async Task<int> PostmasterPidAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        return ProcStat.ParentOf(backend) ?? throw new InvalidOperationException($"Could not read the parent of PostgreSQL backend {backend} from /proc.");
    }

    private async Task<ReadyService> StartServiceAsync(
        RunContext context, IReadOnlyDictionary<string, string> environment, string databaseUrl, string logName, string? cores,
        CancellationToken cancellationToken)
    {
        // --database-url is the runtime role (rows only): migrations run as the schema's owner, as 'up' does on its own cluster.
        var withOwner = new Dictionary<string, string>(environment)
        {
            ["Widgetify__Database__MigrationConnectionString"] = context.Cluster.MigrationConnectionString,
        };
        var launch = new ServiceLaunch(
            context.ServiceDll, databaseUrl, FreePort.Pick(), context.ServiceDataDirectory, settings.DemoWidgets,
            Path.Combine(settings.OutputDirectory, logName), withOwner) { Cores = cores };
        var process = ServiceProcess.Start(launch);
        try
        {
            using var control = BenchHttpClients.Control();
            using var ready = await process.WaitUntilReadyAsync(control, ReadyTimeout, cancellationToken);
            var budget = ReportedBudget(ready.RootElement);
            var key = process.ReadApiKey();
            var widgets = await process.ListWidgetsAsync(control, key, settings.DemoWidgets, cancellationToken);
            var ids = widgets.Select(w => w.Id).ToList();
            var polls = widgets.Where(w => w.Kind == "poll").Select(w => w.Id).ToList();
            var counters = widgets.Where(w => w.Kind == "counter").Select(w => w.Id).ToList();
            context.WidgetCount = ids.Count;
            Say(F($"  service pid {process.ProcessId} ready on {process.BaseAddress}{(budget is { } b ? $" (connection budget {b})" : "")}{(cores is null ? "" : $", on core {cores}")}; {ids.Count} widgets, {polls.Count} polls, {counters.Count} counters"));
            return new ReadyService(process, key, ids, polls, counters, budget);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the service (SIGTERM) and PgBouncer, then waits until PostgreSQL has no client backend
    /// left, so the next configuration starts from an idle server.</summary>
    /// <returns>Backends that had to be terminated because they outlived their service.</returns>
    private async Task<int> StopServiceAsync(RunContext context, ServiceProcess? process, PgBouncerProcess? bouncer)
    {
        if (process is not null)
        {
            if (!await process.StopAsync(StopGrace))
            {
                Say($"  the service did not stop within {StopGrace.TotalSeconds:0} s of SIGTERM: killed");
            }

            await process.DisposeAsync();
        }

        if (bouncer is not null)
        {
            await bouncer.DisposeAsync();
            CopyIfExists(bouncer.LogPath, Path.Combine(settings.OutputDirectory, "pgbouncer.log"));
        }

        if (await context.Sampler.WaitForAsync(s => s.Total == 0, ConnectionsGoneTimeout, CancellationToken.None))
        {
            return 0;
        }

        var terminated = await context.Sampler.TerminateOthersAsync(CancellationToken.None);
        Say($"  {terminated} PostgreSQL backends outlived the service by {ConnectionsGoneTimeout.TotalSeconds:0} s: terminated");
        return terminated;
    }

    private static Dictionary<string, string> WithApplicationName(IReadOnlyDictionary<string, string> environment, string applicationName) =>
        new(environment, StringComparer.Ordinal) { ["Widgetify__Database__ApplicationName"] = applicationName };

    /// <summary>The connection budget a <c>/health/ready</c> body reports: <c>checks.connections[0].observedValue.connectionBudget</c>
    /// (see Widgetify.Api's ConnectionBudgetCheck); null when absent or not a number ("disabled").</summary>
    internal static int? ReportedBudget(JsonElement health)
    {
        if (Property(health, "checks") is { } checks
            && Property(checks, "connections") is { ValueKind: JsonValueKind.Array } connections
            && connections.GetArrayLength() > 0
            && Property(connections[0], "observedValue") is { } observed
            && Property(observed, "connectionBudget") is { ValueKind: JsonValueKind.Number } budget
            && budget.TryGetInt32(out var value))
        {
            return value;
        }

        return null;

        static JsonElement? Property(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : null;
    }

    /// <summary>The machine facts for the report, and the server's connection limits as the service reads them.</summary>
    internal static async Task<(MachineFacts Machine, ServerConnectionLimits Limits)> ReadServerAsync(
        string adminConnectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var version = new NpgsqlCommand("SHOW server_version", connection);
        var serverVersion = (string)(await version.ExecuteScalarAsync(cancellationToken))!;
        var limits = await ServerConnectionLimits.ReadAsync(connection, transaction: null, cancellationToken);
        var machine = new MachineFacts(
            Environment.ProcessorCount,
            RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription,
            serverVersion,
            limits.MaxConnections,
            limits.SuperuserReservedConnections);
        return (machine, limits);
    }

    private async Task WriteReportsAsync(StormReport report, CancellationToken cancellationToken)
    {
        Say(await ReportFiles.WriteAsync(
            settings.OutputDirectory, "storm", MarkdownReportWriter.Write(report), JsonReportWriter.Write(report), StormChart.Write(report), console,
            cancellationToken));
    }

    private async Task CleanUpAsync(PostgresCluster? cluster, string work)
    {
        if (cluster is not null)
        {
            try
            {
                await cluster.StopAsync(CancellationToken.None);
            }
            catch (InvalidOperationException ex)
            {
                Say($"could not stop PostgreSQL cleanly: {ex.Message}");
            }

            CopyIfExists(Path.Combine(work, "pg", "logs", "postgresql.log"), Path.Combine(settings.OutputDirectory, "postgresql.log"));
        }

        if (WorkFolder.TryDelete(work) is { } failure)
        {
            Say(failure);
        }
    }

    private static void CopyIfExists(string from, string to)
    {
        if (File.Exists(from))
        {
            File.Copy(from, to, overwrite: true);
        }
    }

    private void Say(string message) => console.WriteLine($"storm: {message}");

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
