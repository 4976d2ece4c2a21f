using System.Globalization;
using System.Text.Json;
using Npgsql;
using Widgetify.Bench.Detection;
using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;
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
    private static readonly TimeSpan StandbyWait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan WarmupLength = TimeSpan.FromSeconds(6);

    /// <summary>Closed-loop workers of the warm-up: enough to get the read path's code compiled and its pool open, far from
    /// saturating anything (the autoscaler must not count the warm-up as a surge).</summary>
    private const int WarmupWorkers = 8;

    private readonly TimeProvider time = TimeProvider.System;
    private readonly List<string> misses = [];
    private readonly List<string> notes = [];
    private readonly List<(string Name, DateTimeOffset From, DateTimeOffset To, PhaseLoad? Load, string What)> phases = [];
    private readonly List<PhaseLoad> loads = [];
    private readonly List<RateWindow> rates = [];

    private static readonly string[] UpArguments =
        ["--replicas", Invariant($"{ScaleSettings.MinReplicas}"), "--max-replicas", Invariant($"{ScaleSettings.MaxReplicas}")];

    public async Task<ScaleReport> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.OutputDirectory);
        var work = Directory.CreateTempSubdirectory("widgetify-bench-scale-").FullName;
        // When the bench is root, PostgreSQL runs as 'postgres', which must be able to enter this folder.
        File.SetUnixFileMode(work, (UnixFileMode)0b111_101_101);
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

    /// <summary>What the phases share.</summary>
    private sealed record RunContext(ServiceProcess Service, string ApiKey, RequestFactory Requests, ScalingSampler Sampler);

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
        var context = new RunContext(service, apiKey, new RequestFactory(service.BaseAddress, apiKey, ids), sampler);
        try
        {
            // JIT and pools warm up closed loop, which cannot overload anything, so the first surge meets a warm service.
            using (var warmup = BenchHttpClients.Load(WarmupWorkers, settings.ClientTimeout))
            {
                await ClosedLoopRamp.RunAsync(warmup, context.Requests, [WarmupWorkers], WarmupLength, settings.Seed, cancellationToken);
            }

            notes.Add(Invariant($"Before surge 1: {WarmupLength.TotalSeconds:0} s of {WarmupWorkers} closed-loop workers (the storm's mix, 5% creates) to warm the service up; not recorded."));

            var surges = new List<ScaleOutResult>();
            if (await GuardedAsync("surge 1", () => SurgeAsync(context, "surge 1", cancellationToken)) is { } first)
            {
                surges.Add(first);
            }

            var consistency = await GuardedAsync("stale reads", () => StaleReadsAsync(context, cancellationToken));
            var kill = await GuardedAsync("kill", () => KillAsync(context, cancellationToken));
            await WaitForCooldownAsync(sampler, cancellationToken);
            if (await GuardedAsync("surge 2", () => SurgeAsync(context, "surge 2", cancellationToken)) is { } second)
            {
                surges.Add(second);
            }

            var scaleIn = await GuardedAsync("scale-in", () => ScaleInAsync(context, cancellationToken));
            return Report(context, version, startedAt, machine, surges, consistency, kill, scaleIn);
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

    private async Task<ScaleOutResult> SurgeAsync(RunContext context, string name, CancellationToken cancellationToken)
    {
        Say(Invariant($"{name}: {settings.SurgeRate:0} reads/s until a standby is added and serves reads (at most {settings.SurgeBound.TotalSeconds:0} s)"));
        var load = await RunLoadAsync(context, name, Phase.Storm, settings.SurgeRate, settings.SurgeBound, async (load, token) =>
        {
            if (await context.Sampler.WaitUntilAsync(s => ScaleOutResult.Analyze(name, s, load.StartedAt).IsComplete, settings.SurgeBound, token))
            {
                await Task.Delay(settings.SurgeTail, time, token);
            }
        }, "reads far above what the primary serves, until a new standby serves reads, then " + Invariant($"{settings.SurgeTail.TotalSeconds:0} s more"), cancellationToken);
        var samples = context.Sampler.Samples;
        var result = ScaleOutResult.Analyze(name, samples, load.StartedAt);
        if (result.Missing is { } missing)
        {
            misses.Add(Invariant($"{name}: {missing} within {load.Seconds:0} s of {settings.SurgeRate:0} reads/s."));
        }

        if (result is { FirstSaturatedAt: { } saturated, Decision: { } decision })
        {
            AddRate(RateWindow.Measure($"{name}: primary alone, saturated (first saturated sample → decision)", samples, saturated, decision.At, load));
        }

        if (result.FirstReadAt is { } firstRead)
        {
            AddRate(RateWindow.Measure($"{name}: after the new standby's first read (+1 s → end of the surge)", samples, firstRead.AddSeconds(1), load.StartedAt.AddSeconds(load.Seconds), load));
        }

        if (load.SecondsWithErrors() is { Count: > 0 } erring)
        {
            var total = load.Total();
            notes.Add(Invariant($"{name}: its {total.Errors:N0} errors ({total.NotSent:N0} not sent: all {settings.Clients:N0} connections were waiting on the service; {total.Timeouts:N0} timeouts; {total.ErrorStatuses:N0} other statuses) were all due in the surge's seconds {PhaseLoad.Ranges(erring)} (0 is its first)."));
        }

        if (result.SamplesNotLeading > 0)
        {
            notes.Add(Invariant($"{name}: the service did not lead the autoscaler in {result.SamplesNotLeading} samples (its lease was not renewed in time), so no decision could be made then."));
        }

        Say(Invariant($"{name}: saturated after {result.SecondsToSaturated:0.0} s; decision after {result.SecondsToDecision:0.0} s, first read on {result.NewStandby ?? "-"} after {result.SecondsToFirstRead:0.0} s (from the first saturated sample); {load.Total().Describe()} errors or unexpected 503s"));
        return result;
    }

    private async Task<ConsistencyResult> StaleReadsAsync(RunContext context, CancellationToken cancellationToken)
    {
        var standby = await ReadyStandbyAsync(context.Sampler, cancellationToken)
            ?? throw new InvalidOperationException(Invariant($"no standby was in rotation within {StandbyWait.TotalSeconds:0} s after surge 1, so there is no replay to pause"));
        var server = StandbyControl.Find(context.Service.DataDirectory, standby.Name);
        var ledger = new ConsistencyLedger();
        using var client = BenchHttpClients.Load(settings.PairWorkers + settings.Watchers + 4, settings.ClientTimeout);
        var probe = new ConsistencyProbe(client, context.Service.BaseAddress, context.ApiKey, ledger, time);
        var widgets = await probe.CreateWidgetsAsync(settings.PairWorkers + settings.Watchers, cancellationToken);
        Say(Invariant($"stale reads: {settings.PairWorkers} write-then-read-with-token workers and {settings.Watchers} tokenless watchers; {standby.Name}'s replay paused {settings.PauseLength.TotalSeconds:0} s at a time until {settings.TargetPairs:N0} pairs and {settings.MinPauses} pauses (at most {settings.StaleBound.TotalSeconds:0} s)"));
        var start = time.GetUtcNow();
        var pauses = new List<(DateTimeOffset PausedAt, DateTimeOffset ResumedAt)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = widgets.Take(settings.PairWorkers).Select(w => probe.RunPairsAsync(w, stop.Token))
            .Concat(widgets.Skip(settings.PairWorkers).Select(w => probe.RunWatcherAsync(w, stop.Token)))
            .ToList();
        var paused = false;
        try
        {
            // A second of normal operation first: the tokens then find a standby that keeps up.
            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            while ((pauses.Count < settings.MinPauses || ledger.Pairs < settings.TargetPairs) && time.GetUtcNow() - start < settings.StaleBound)
            {
                await StandbyControl.PauseReplayAsync(server, cancellationToken);
                paused = true;
                var pausedAt = time.GetUtcNow();
                await Task.Delay(settings.PauseLength, time, cancellationToken);
                await StandbyControl.ResumeReplayAsync(server, cancellationToken);
                paused = false;
                var resumedAt = time.GetUtcNow();
                pauses.Add((pausedAt, resumedAt));
                if (!await context.Sampler.WaitUntilAsync(s => s.Count > 0 && s[^1].At > resumedAt && IsReady(s[^1], standby), StandbyWait, cancellationToken))
                {
                    misses.Add(Invariant($"stale reads: {standby.Name} was not back in rotation {StandbyWait.TotalSeconds:0} s after its replay resumed; no further pause."));
                    break;
                }
            }
        }
        finally
        {
            if (paused)
            {
                await ResumeQuietlyAsync(server);
            }

            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        var end = time.GetUtcNow();
        phases.Add(("stale reads", start, end, null, Invariant($"{pauses.Count} pauses of {standby.Name}'s replay, {settings.PauseLength.TotalSeconds:0} s each; write-then-read pairs with the token and tokenless watchers throughout")));
        var samples = context.Sampler.Samples;
        var result = ledger.Result([.. pauses.Select(p => ReplayPause.From(samples, standby, p.PausedAt, p.ResumedAt))], standby.Name);
        Say(Invariant($"stale reads: {result.Missed} of {result.Pairs:N0} pairs missed their write ({result.PairsWhilePausedInRotation:N0} read while paused and in rotation); largest tokenless staleness {result.MaxStalenessSeconds:0.00} s over {result.StaleReads:N0} stale reads"));
        return result;
    }

    private async Task<KillOutcome> KillAsync(RunContext context, CancellationToken cancellationToken)
    {
        var standby = await ReadyStandbyAsync(context.Sampler, cancellationToken)
            ?? throw new InvalidOperationException(Invariant($"no standby was in rotation within {StandbyWait.TotalSeconds:0} s, so there is none to kill"));
        var server = StandbyControl.Find(context.Service.DataDirectory, standby.Name);
        DateTimeOffset? killedAt = null;
        var bound = TimeSpan.FromSeconds(40);
        Say(Invariant($"kill: {settings.ModerateRate:0} reads/s; kill -9 of {standby.Name}'s postmaster (pid {server.PostmasterPid}) once it serves them"));
        var load = await RunLoadAsync(context, "kill", Phase.Baseline, settings.ModerateRate, bound, async (load, token) =>
        {
            var before = context.Sampler.Latest?.Status.Standbys.FirstOrDefault(standby.IsSameServer)?.ReadsServed ?? 0;
            await context.Sampler.WaitUntilAsync(
                s => s.Count > 0 && s[^1].Status.Standbys.FirstOrDefault(standby.IsSameServer)?.ReadsServed > before, StandbyWait, token);
            await Task.Delay(settings.KillLead, time, token);
            StandbyControl.Kill(server);
            var at = time.GetUtcNow();
            killedAt = at;
            await context.Sampler.WaitUntilAsync(s => KillResult.Analyze(s, standby, at).DownAt is not null, StandbyWait, token);
            await Task.Delay(settings.KillTail, time, token);
        }, Invariant($"moderate reads; kill -9 of the standby's postmaster after {settings.KillLead.TotalSeconds:0} s of them, then {settings.KillTail.TotalSeconds:0} s more once it shows down"), cancellationToken);
        if (killedAt is not { } killed)
        {
            throw new InvalidOperationException("the standby was not killed within the phase");
        }

        var samples = context.Sampler.Samples;
        var result = KillResult.Analyze(samples, standby, killed);
        var window = load.Between(killed.AddSeconds(-1), load.StartedAt.AddSeconds(load.Seconds));
        AddRate(RateWindow.Measure("kill: the standby alone at moderate load (before the kill)", samples, load.StartedAt.AddSeconds(1), killed, load));
        Say(Invariant($"kill: down after {result.SecondsToDown:0.00} s; {load.Total().Describe()} not 200 nor a shed 503 with Retry-After"));
        return new KillOutcome(result, window);
    }

    private async Task<ScaleInOutcome> ScaleInAsync(RunContext context, CancellationToken cancellationToken)
    {
        var bound = settings.Override("ScaleInWindow") + settings.Override("Cooldown") + TimeSpan.FromSeconds(45);
        Say(Invariant($"scale-in: {settings.LowRate:0} reads/s until a standby is removed (at most {bound.TotalSeconds:0} s)"));
        var load = await RunLoadAsync(context, "scale-in", Phase.Recovery, settings.LowRate, bound, async (load, token) =>
        {
            if (await context.Sampler.WaitUntilAsync(s => ScaleInResult.Analyze(s, load.StartedAt).IsComplete, bound, token))
            {
                await Task.Delay(TimeSpan.FromSeconds(2), time, token);
            }
        }, "low reads until the scale-in's action ends, then 2 s more", cancellationToken);
        var result = ScaleInResult.Analyze(context.Sampler.Samples, load.StartedAt);
        LoadSummary? drain = null;
        if (result.Decision is { CompletedAt: { } completed } decision)
        {
            drain = load.Between(decision.At, completed);
        }
        else
        {
            misses.Add(Invariant($"scale-in: {(result.Decision is null ? "no decision" : "its action did not end")} within {load.Seconds:0} s of {settings.LowRate:0} reads/s."));
        }

        Say(Invariant($"scale-in: decided {result.SecondsToDecision:0.0} s after the load dropped; drain and removal {result.DrainSeconds:0.0} s; {load.Total().Describe()} errors or unexpected 503s"));
        return new ScaleInOutcome(result, drain);
    }

    private sealed record KillOutcome(KillResult Result, LoadSummary Window);

    private sealed record ScaleInOutcome(ScaleInResult Result, LoadSummary? Drain);

    /// <summary>Runs an open-loop reads-only load at <paramref name="rate"/> for at most <paramref name="bound"/>, while
    /// <paramref name="whileRunning"/> does the phase's work; the load stops when that work ends (or the bound does), and the
    /// requests in flight then finish and are recorded.</summary>
    private async Task<PhaseLoad> RunLoadAsync(
        RunContext context, string name, Phase phase, double rate, TimeSpan bound, Func<PhaseLoad, CancellationToken, Task> whileRunning, string what,
        CancellationToken cancellationToken)
    {
        var seconds = (int)Math.Ceiling(bound.TotalSeconds);
        using var client = BenchHttpClients.Load(settings.Clients, settings.ClientTimeout);
        var generator = new OpenLoopGenerator(client, context.Requests, settings.Clients, settings.Seed + loads.Count, RequestWeights.ReadsOnly);
        var recorder = new LoadRecorder(0, seconds);
        using var stop = new CancellationTokenSource();
        var running = generator.RunAsync(
            new OpenLoopSchedule([new LoadSegment(phase, seconds, rate)]), recorder, settings.ClientTimeout + TimeSpan.FromSeconds(1), cancellationToken, stop.Token);
        await generator.Started;
        var load = new PhaseLoad(name, rate, time.GetUtcNow(), recorder);
        loads.Add(load);
        using var endWork = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = whileRunning(load, endWork.Token);
        try
        {
            await Task.WhenAny(work, running);
        }
        finally
        {
            load.Seconds = Math.Min(seconds, (time.GetUtcNow() - load.StartedAt).TotalSeconds);
            await stop.CancelAsync();
            await endWork.CancelAsync();
            await running;
            phases.Add((name, load.StartedAt, load.StartedAt.AddSeconds(load.Seconds), load, what));
        }

        try
        {
            await work;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The load's bound ended the phase's work: what it waited for did not come, which the analysis reports.
        }

        return load;
    }

    /// <summary>Runs a phase; an expected failure (the service, a standby or PostgreSQL said no) is recorded as a miss of
    /// that phase and the run goes on with the next one.</summary>
    private async Task<T?> GuardedAsync<T>(string phase, Func<Task<T>> run)
        where T : class
    {
        try
        {
            return await run();
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or NpgsqlException or IOException or JsonException or TimeoutException)
        {
            misses.Add($"{phase}: {ex.Message}");
            Say($"{phase}: FAILED: {ex.Message}");
            return null;
        }
    }

    /// <summary>Surge 2 must measure the scale-out, not the cooldown of surge 1's action: it starts once that is over.</summary>
    private async Task WaitForCooldownAsync(ScalingSampler sampler, CancellationToken cancellationToken)
    {
        var lastEnd = sampler.Latest?.Status.Decisions.Select(d => d.CompletedAt).Max();
        if (lastEnd is not { } end)
        {
            return;
        }

        var wait = end + settings.Override("Cooldown") + TimeSpan.FromSeconds(1) - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            Say(Invariant($"waiting {wait.TotalSeconds:0} s for the cooldown of the last action to end"));
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    private static async Task<ScalingServer?> ReadyStandbyAsync(ScalingSampler sampler, CancellationToken cancellationToken)
    {
        ScalingServer? ready = null;
        await sampler.WaitUntilAsync(
            s => (ready = s.Count > 0 ? s[^1].Status.Standbys.FirstOrDefault(x => x.State == "ready") : null) is not null, StandbyWait, cancellationToken);
        return ready;
    }

    private static bool IsReady(ScalingSample sample, ScalingServer standby) =>
        sample.Status.Standbys.FirstOrDefault(standby.IsSameServer) is { State: "ready" };

    private async Task ResumeQuietlyAsync(RunningServer server)
    {
        try
        {
            await StandbyControl.ResumeReplayAsync(server, CancellationToken.None);
        }
        catch (NpgsqlException ex)
        {
            Say($"could not resume replay: {ex.Message}");
        }
    }

    private void AddRate(RateWindow? window)
    {
        if (window is not null)
        {
            rates.Add(window);
        }
    }

    private ScaleReport Report(
        RunContext context, string version, DateTimeOffset startedAt, MachineFacts? machine, IReadOnlyList<ScaleOutResult> surges,
        ConsistencyResult? consistency, KillOutcome? kill, ScaleInOutcome? scaleIn)
    {
        var samples = context.Sampler.Samples;
        var origin = phases.Count > 0 ? phases.Min(p => p.From) : startedAt;
        var end = phases.Count > 0 ? phases.Max(p => p.To) : time.GetUtcNow();
        var replica = new ReplicaOptions();
        var decisions = new Dictionary<(DateTimeOffset, string, int), ScalingDecision>();
        foreach (var decision in samples.SelectMany(s => s.Status.Decisions))
        {
            decisions[(decision.At, decision.Direction, decision.From)] = decision; // a later sample's state wins
        }

        if (context.Sampler.Failures > 0)
        {
            notes.Add(Invariant($"{context.Sampler.Failures} of {context.Sampler.Polls} polls of /api/scaling failed (last: {context.Sampler.LastFailure}); the timings are from the samples that arrived."));
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
            Phases = [.. phases.OrderBy(p => p.From).Select(p => new ScalePhase(
                p.Name, (p.From - origin).TotalSeconds, (p.To - origin).TotalSeconds, p.Load?.Rate, p.Load?.Total(), p.What))],
            ScaleOuts = surges,
            Kill = kill?.Result,
            KillWindow = kill?.Window,
            Consistency = consistency,
            ScaleIn = scaleIn?.Result,
            DrainWindow = scaleIn?.Drain,
            Rates = rates,
            Decisions = [.. decisions.Values.Where(d => d.At >= startedAt).OrderBy(d => d.At)],
            Misses = misses,
            Notes = notes,
            Series = ScaleSecond.Build(samples, loads, origin, (int)Math.Ceiling((end - origin).TotalSeconds) + 1),
            Polls = context.Sampler.Polls,
            PollFailures = context.Sampler.Failures,
        };
        return report with { Figures = ScaleFigures.Evaluate(report) };
    }

    /// <summary>Writes scale.md, scale.json and scale.svg and prints the Markdown.</summary>
    private async Task WriteAsync(ScaleReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var markdown = ScaleMarkdown.Write(report);
        await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "scale.md"), markdown, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "scale.json"), JsonReportWriter.Write(report), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "scale.svg"), ScaleChart.Write(report), cancellationToken);
        await console.WriteLineAsync();
        await console.WriteLineAsync(markdown);
        Say($"wrote scale.md, scale.json and scale.svg to {settings.OutputDirectory}");
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

        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException ex)
        {
            Say($"could not delete {work}: {ex.Message}");
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
