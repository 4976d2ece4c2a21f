using System.Globalization;
using System.Text.Json;
using Npgsql;
using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;
using Widgetify.Postgres;

namespace Widgetify.Bench.Scale;

/// <summary>What the phases act on: the running service, the demo key, the read requests, the sampler of <c>/api/scaling</c>.</summary>
internal sealed record ScaleTarget(Processes.ServiceProcess Service, string ApiKey, RequestFactory Requests, ScalingSampler Sampler);

/// <summary>A phase placed on the wall clock, with its open-loop load if it had one.</summary>
internal sealed record PhaseSpan(string Name, DateTimeOffset From, DateTimeOffset To, PhaseLoad? Load, string What);

/// <summary>The standby killed, and the requests due from just before the kill to the end of the phase.</summary>
internal sealed record KillOutcome(KillResult Result, LoadSummary Window);

/// <summary>The scale-in, and the requests due during its drain and removal.</summary>
internal sealed record ScaleInOutcome(ScaleInResult Result, LoadSummary? Drain);

/// <summary>
/// The phases of <c>bench scale</c>, each against the running service: a surge until a standby is added and serves
/// reads; stale reads while that standby's replay is paused; a <c>kill -9</c> of it under moderate load; the scale-in
/// under low load. Each phase records what it measured, and a phase that fails in an expected way (the service, a
/// standby or PostgreSQL said no) becomes a miss that says why, so that the next phase still runs.
/// </summary>
internal sealed class ScalePhases(ScaleSettings settings, ScaleTarget target, TimeProvider time, Action<string> say)
{
    private static readonly TimeSpan StandbyWait = TimeSpan.FromSeconds(15);

    private readonly List<string> misses = [];
    private readonly List<string> notes = [];
    private readonly List<PhaseSpan> phases = [];
    private readonly List<PhaseLoad> loads = [];
    private readonly List<RateWindow> rates = [];

    /// <summary>What could not be measured, and why.</summary>
    public IReadOnlyList<string> Misses => misses;

    public IReadOnlyList<string> Notes => notes;

    public IReadOnlyList<PhaseSpan> Phases => phases;

    public IReadOnlyList<PhaseLoad> Loads => loads;

    /// <summary>Who served the reads in the stretches the model is built on.</summary>
    public IReadOnlyList<RateWindow> Rates => rates;

    /// <summary>Reads far above what the primary serves, until a new standby serves reads (then a few seconds more).</summary>
    public Task<ScaleOutResult?> SurgeAsync(string name, CancellationToken cancellationToken) =>
        GuardedAsync(name, () => SurgeCoreAsync(name, cancellationToken));

    /// <summary>Write-then-read pairs with and without the token while the ready standby's replay is paused now and then.</summary>
    public Task<ConsistencyResult?> StaleReadsAsync(CancellationToken cancellationToken) =>
        GuardedAsync("stale reads", () => StaleReadsCoreAsync(cancellationToken));

    /// <summary><c>kill -9</c> of the ready standby's postmaster under moderate reads.</summary>
    public Task<KillOutcome?> KillAsync(CancellationToken cancellationToken) =>
        GuardedAsync("kill", () => KillCoreAsync(cancellationToken));

    /// <summary>Low reads until the autoscaler removes a standby.</summary>
    public Task<ScaleInOutcome?> ScaleInAsync(CancellationToken cancellationToken) =>
        GuardedAsync("scale-in", () => ScaleInCoreAsync(cancellationToken));

    private async Task<ScaleOutResult> SurgeCoreAsync(string name, CancellationToken cancellationToken)
    {
        say(Invariant($"{name}: {settings.SurgeRate:0} reads/s until a standby is added and serves reads (at most {settings.SurgeBound.TotalSeconds:0} s)"));
        var load = await RunLoadAsync(name, Phase.Storm, settings.SurgeRate, settings.SurgeBound, async (load, token) =>
        {
            if (await target.Sampler.WaitUntilAsync(s => ScaleOutResult.Analyze(name, s, load.StartedAt).IsComplete, settings.SurgeBound, token))
            {
                await Task.Delay(settings.SurgeTail, time, token);
            }
        }, "reads far above what the primary serves, until a new standby serves reads, then " + Invariant($"{settings.SurgeTail.TotalSeconds:0} s more"), cancellationToken);
        var samples = target.Sampler.Samples;
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

        say(Invariant($"{name}: saturated after {result.SecondsToSaturated:0.0} s; decision after {result.SecondsToDecision:0.0} s, first read on {result.NewStandby ?? "-"} after {result.SecondsToFirstRead:0.0} s (from the first saturated sample); {load.Total().Describe()} errors or unexpected 503s"));
        return result;
    }

    private async Task<ConsistencyResult> StaleReadsCoreAsync(CancellationToken cancellationToken)
    {
        var standby = await ReadyStandbyAsync(target.Sampler, cancellationToken)
            ?? throw new InvalidOperationException(Invariant($"no standby was in rotation within {StandbyWait.TotalSeconds:0} s after surge 1, so there is no replay to pause"));
        var server = StandbyControl.Find(target.Service.DataDirectory, standby.Name);
        var ledger = new ConsistencyLedger();
        using var client = BenchHttpClients.Load(settings.PairWorkers + settings.Watchers + 4, settings.ClientTimeout);
        var probe = new ConsistencyProbe(client, target.Service.BaseAddress, target.ApiKey, ledger, time);
        var widgets = await probe.CreateWidgetsAsync(settings.PairWorkers + settings.Watchers, cancellationToken);
        say(Invariant($"stale reads: {settings.PairWorkers} write-then-read-with-token workers and {settings.Watchers} tokenless watchers; {standby.Name}'s replay paused {settings.PauseLength.TotalSeconds:0} s at a time until {settings.TargetPairs:N0} pairs and {(settings.MinPauses == 1 ? "1 pause" : Invariant($"{settings.MinPauses} pauses"))} (at most {settings.StaleBound.TotalSeconds:0} s)"));
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
                if (!await target.Sampler.WaitUntilAsync(s => s.Count > 0 && s[^1].At > resumedAt && IsReady(s[^1], standby), StandbyWait, cancellationToken))
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
        phases.Add(new PhaseSpan("stale reads", start, end, null, Invariant($"{pauses.Count} pauses of {standby.Name}'s replay, {settings.PauseLength.TotalSeconds:0} s each; write-then-read pairs with the token and tokenless watchers throughout")));
        var samples = target.Sampler.Samples;
        var result = ledger.Result([.. pauses.Select(p => ReplayPause.From(samples, standby, p.PausedAt, p.ResumedAt))], standby.Name);
        say(Invariant($"stale reads: {result.Missed} of {result.Pairs:N0} pairs missed their write ({result.PairsWhilePausedInRotation:N0} read while paused and in rotation); largest tokenless staleness {result.MaxStalenessSeconds:0.00} s over {result.StaleReads:N0} stale reads"));
        return result;
    }

    private async Task<KillOutcome> KillCoreAsync(CancellationToken cancellationToken)
    {
        var standby = await ReadyStandbyAsync(target.Sampler, cancellationToken)
            ?? throw new InvalidOperationException(Invariant($"no standby was in rotation within {StandbyWait.TotalSeconds:0} s, so there is none to kill"));
        var server = StandbyControl.Find(target.Service.DataDirectory, standby.Name);
        DateTimeOffset? killedAt = null;
        var bound = TimeSpan.FromSeconds(40);
        say(Invariant($"kill: {settings.ModerateRate:0} reads/s; kill -9 of {standby.Name}'s postmaster (pid {server.PostmasterPid}) once it serves them"));
        var load = await RunLoadAsync("kill", Phase.Baseline, settings.ModerateRate, bound, async (load, token) =>
        {
            var before = target.Sampler.Latest?.Status.Standbys.FirstOrDefault(standby.IsSameServer)?.ReadsServed ?? 0;
            await target.Sampler.WaitUntilAsync(
                s => s.Count > 0 && s[^1].Status.Standbys.FirstOrDefault(standby.IsSameServer)?.ReadsServed > before, StandbyWait, token);
            await Task.Delay(settings.KillLead, time, token);
            StandbyControl.Kill(server);
            var at = time.GetUtcNow();
            killedAt = at;
            await target.Sampler.WaitUntilAsync(s => KillResult.Analyze(s, standby, at).DownAt is not null, StandbyWait, token);
            await Task.Delay(settings.KillTail, time, token);
        }, Invariant($"moderate reads; kill -9 of the standby's postmaster after {settings.KillLead.TotalSeconds:0} s of them, then {settings.KillTail.TotalSeconds:0} s more once it shows down"), cancellationToken);
        if (killedAt is not { } killed)
        {
            throw new InvalidOperationException("the standby was not killed within the phase");
        }

        var samples = target.Sampler.Samples;
        var result = KillResult.Analyze(samples, standby, killed);
        var window = load.Between(killed.AddSeconds(-1), load.StartedAt.AddSeconds(load.Seconds));
        AddRate(RateWindow.Measure("kill: the standby alone at moderate load (before the kill)", samples, load.StartedAt.AddSeconds(1), killed, load));
        say(Invariant($"kill: down after {result.SecondsToDown:0.00} s; {load.Total().Describe()} not 200 nor a shed 503 with Retry-After"));
        return new KillOutcome(result, window);
    }

    private async Task<ScaleInOutcome> ScaleInCoreAsync(CancellationToken cancellationToken)
    {
        var bound = settings.Override("ScaleInWindow") + settings.Override("Cooldown") + TimeSpan.FromSeconds(45);
        say(Invariant($"scale-in: {settings.LowRate:0} reads/s until a standby is removed (at most {bound.TotalSeconds:0} s)"));
        var load = await RunLoadAsync("scale-in", Phase.Recovery, settings.LowRate, bound, async (load, token) =>
        {
            if (await target.Sampler.WaitUntilAsync(s => ScaleInResult.Analyze(s, load.StartedAt).IsComplete, bound, token))
            {
                await Task.Delay(TimeSpan.FromSeconds(2), time, token);
            }
        }, "low reads until the scale-in's action ends, then 2 s more", cancellationToken);
        var result = ScaleInResult.Analyze(target.Sampler.Samples, load.StartedAt);
        LoadSummary? drain = null;
        if (result.Decision is { CompletedAt: { } completed } decision)
        {
            drain = load.Between(decision.At, completed);
        }
        else
        {
            misses.Add(Invariant($"scale-in: {(result.Decision is null ? "no decision" : "its action did not end")} within {load.Seconds:0} s of {settings.LowRate:0} reads/s."));
        }

        say(Invariant($"scale-in: decided {result.SecondsToDecision:0.0} s after the load dropped; drain and removal {result.DrainSeconds:0.0} s; {load.Total().Describe()} errors or unexpected 503s"));
        return new ScaleInOutcome(result, drain);
    }


    /// <summary>Runs an open-loop reads-only load at <paramref name="rate"/> for at most <paramref name="bound"/>, while
    /// <paramref name="whileRunning"/> does the phase's work; the load stops when that work ends (or the bound does), and the
    /// requests in flight then finish and are recorded.</summary>
    private async Task<PhaseLoad> RunLoadAsync(
        string name, Phase phase, double rate, TimeSpan bound, Func<PhaseLoad, CancellationToken, Task> whileRunning, string what,
        CancellationToken cancellationToken)
    {
        var seconds = (int)Math.Ceiling(bound.TotalSeconds);
        using var client = BenchHttpClients.Load(settings.Clients, settings.ClientTimeout);
        var generator = new OpenLoopGenerator(client, target.Requests, settings.Clients, settings.Seed + loads.Count, RequestWeights.ReadsOnly);
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
            phases.Add(new PhaseSpan(name, load.StartedAt, load.StartedAt.AddSeconds(load.Seconds), load, what));
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
            say($"{phase}: FAILED: {ex.Message}");
            return null;
        }
    }

    /// <summary>Surge 2 must measure the scale-out, not the cooldown of surge 1's action: it starts once that is over.</summary>
    public async Task WaitForCooldownAsync(CancellationToken cancellationToken)
    {
        var lastEnd = target.Sampler.Latest?.Status.Decisions.Select(d => d.CompletedAt).Max();
        if (lastEnd is not { } end)
        {
            return;
        }

        var wait = end + settings.Override("Cooldown") + TimeSpan.FromSeconds(1) - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            say(Invariant($"waiting {wait.TotalSeconds:0} s for the cooldown of the last action to end"));
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
            say($"could not resume replay: {ex.Message}");
        }
    }

    private void AddRate(RateWindow? window)
    {
        if (window is not null)
        {
            rates.Add(window);
        }
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
