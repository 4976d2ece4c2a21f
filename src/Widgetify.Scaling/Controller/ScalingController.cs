using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Leadership;
using Widgetify.Scaling.Providers;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Controller;

/// <summary>The autoscaler's loop, once a second on the injected clock: observe (the read path's signals, kept by every
/// instance), lead (renew or take the leader lease), decide (<see cref="ScalingLaw"/>, on the leader only) and act (one
/// action at a time, in the background so the lease keeps being renewed while a provider works for minutes), then record
/// (log line, metric, decisions table and memory, observers).</summary>
internal sealed partial class ScalingController : BackgroundService
{
    /// <summary>How often the loop runs; the signals come one per second.</summary>
    internal static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private readonly ScalingOptions options;
    private readonly IReadPathSignalSource signalSource;
    private readonly RetryingReplicaProvider provider;
    private readonly IReadOnlyList<IScalingObserver> observers;
    private readonly DecisionStore store;
    private readonly ScalingDecisionLog decisions;
    private readonly ScalingMetrics metrics;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly NpgsqlDataSource controlConnection;
    private readonly SignalHistory history;
    private readonly Lock state = new();
    private LastAction? lastAction;
    private int? reportedReplicas;
    private Task actionInFlight = Task.CompletedTask;
    private CancellationTokenSource? actionCancellation;
    private bool leading;
    private bool renewalFailing;
    private bool tablesReady;
    private bool stopping;

    public ScalingController(
        ScalingOptions options, ScalingInstance instance, IReadPathSignalSource signalSource, IReplicaProvider provider,
        IEnumerable<IScalingObserver> observers, ScalingDecisionLog decisions, ScalingMetrics metrics, TimeProvider timeProvider,
        Func<double> random, ILogger<ScalingController> logger)
    {
        ArgumentNullException.ThrowIfNull(instance);
        this.options = options;
        this.signalSource = signalSource;
        this.observers = [.. observers];
        this.decisions = decisions;
        this.metrics = metrics;
        this.timeProvider = timeProvider;
        this.logger = logger;
        controlConnection = instance.ControlConnection;
        InstanceName = instance.InstanceName;
        store = new DecisionStore(controlConnection);
        history = new SignalHistory(options.ScaleInWindow > options.ScaleOutWindow ? options.ScaleInWindow : options.ScaleOutWindow);
        Lease = new LeaderLease(controlConnection, Guid.CreateVersion7(timeProvider.GetUtcNow()), InstanceName, options.LeaderLeaseDuration, timeProvider);
        this.provider = new RetryingReplicaProvider(provider, options, timeProvider, random, OnRetry);
    }

    internal string InstanceName { get; }

    internal LeaderLease Lease { get; }

    /// <summary>The action under way, or a completed task: tests await it instead of sleeping.</summary>
    internal Task ActionInFlight
    {
        get
        {
            lock (state)
            {
                return actionInFlight;
            }
        }
    }

    /// <summary>What the law said on the last tick this instance led; null before.</summary>
    internal ScalingDecision? LastEvaluation { get; private set; }

    /// <summary>One turn of the loop. The hosted loop calls it every second; tests call it after moving the fake clock.</summary>
    internal async Task TickAsync(CancellationToken cancellationToken)
    {
        // Every second not taken in yet, not only the latest: a tick that came late must not lose the seconds in between.
        ReadPathSignals? added = null;
        foreach (var second in signalSource.GetRecent())
        {
            if (history.Add(second))
            {
                added = second;
            }
        }

        if (added is not null)
        {
            metrics.SetSaturation(ScalingLaw.SaturationOf(added, options).Score);
        }

        await LeadAsync(cancellationToken);
        if (!leading || !ActionInFlight.IsCompleted)
        {
            return;
        }

        int current;
        LastAction? previous;
        lock (state)
        {
            previous = lastAction;
            current = reportedReplicas ?? history.Latest?.LiveReplicas ?? 0;
        }

        var decision = ScalingLaw.Decide(history.Snapshot(), current, options, previous, timeProvider.GetUtcNow());
        LastEvaluation = decision;
        if (decision.Direction != ScalingDirection.None)
        {
            await StartActionAsync(decision, history.Latest);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            ScalingLog.Disabled(logger, options.MinReplicas, options.MaxReplicas);
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TickInterval, timeProvider, stoppingToken);
                await TickAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // One bad tick (a bug, an observer's surprise) must not end the loop of the whole fleet.
                ScalingLog.TickFailed(logger, ex);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Task action;
        lock (state)
        {
            stopping = true;
            actionCancellation?.Cancel();
            action = actionInFlight;
        }

        // The action records its own end (failed: the service stopped); only then is the lease given up, so the next
        // leader's cooldown counts from it.
        try
        {
            await action.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host gave up waiting: the lease is still given up below, the action's record stays pending and the
            // next leader marks it failed.
        }

        // Given up whenever the loop ran, not only when leading: a tick cancelled by the stop may have committed its
        // renewal before it took the lead (or even before it read the answer), and the row would then hold the loop
        // for a whole lease duration. Deleting only this instance's row, it costs nothing when there is none.
        var wasLeading = leading;
        if (options.Enabled)
        {
            try
            {
                await Lease.ReleaseAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
            {
                // The lease then expires on its own within LeaderLeaseDuration.
                ScalingLog.RenewalFailed(logger, ex, options.LeaderLeaseDuration);
            }

            if (wasLeading)
            {
                SetLeading(false, "this instance is stopping");
            }
        }
    }

    private async Task LeadAsync(CancellationToken cancellationToken)
    {
        // A renewal may not hang the loop past the point where the lease would be judged lost anyway.
        using var bound = new CancellationTokenSource(options.LeaderLeaseDuration / 3, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
        LeaseHolder? holder = null;
        try
        {
            if (!tablesReady)
            {
                await ScalingSchema.EnsureCreatedAsync(controlConnection, linked.Token);
                tablesReady = true;
            }

            holder = await Lease.AcquireOrRenewAsync(linked.Token);
            renewalFailing = false;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            if (ex is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable })
            {
                tablesReady = false; // someone dropped the table: the next tick creates it again
            }

            if (!renewalFailing)
            {
                ScalingLog.RenewalFailed(logger, ex, options.LeaderLeaseDuration);
                renewalFailing = true;
            }
        }

        var held = Lease.IsHeld;
        if (held && !leading)
        {
            await TakeOverAsync(cancellationToken);
        }
        else if (!held && leading)
        {
            SetLeading(false, holder?.Name is { } other
                ? $"{other} holds the leader lease"
                : $"the leader lease was not renewed within {options.LeaderLeaseDuration} (Widgetify:Scaling:LeaderLeaseDuration); check that PostgreSQL is reachable");
        }
    }

    /// <summary>Starts leading: learns from the decisions table when the last action ended (the cooldown spans leaders)
    /// and closes the actions a dead leader left pending.</summary>
    private async Task TakeOverAsync(CancellationToken cancellationToken)
    {
        var abandoned = await store.AbandonPendingAsync(InstanceName, timeProvider.GetUtcNow(), cancellationToken);
        if (abandoned.Count > 0)
        {
            ScalingLog.AbandonedPending(logger, abandoned.Count);
            foreach (var decision in abandoned)
            {
                metrics.RecordAction(decision.Direction, ScalingResult.Failed);
            }
        }

        var last = await store.ReadLastCompletedAsync(cancellationToken);
        lock (state)
        {
            if (last?.CompletedAt is { } completedAt && (lastAction is null || lastAction.Value.At < completedAt))
            {
                lastAction = new LastAction(completedAt, last.Result == ScalingResult.Succeeded);
                reportedReplicas = last.ReplicasAfter ?? reportedReplicas;
            }
        }

        SetLeading(true, why: null);
    }

    private void SetLeading(bool value, string? why)
    {
        leading = value;
        metrics.SetLeading(value);
        if (value)
        {
            ScalingLog.BecameLeader(logger, InstanceName, options.MinReplicas, options.MaxReplicas, options.Provider);
            return;
        }

        ScalingLog.LostLeadership(logger, InstanceName, why!);
        lock (state)
        {
            // Another instance may lead by now: an action of ours must not go on beside one of theirs.
            actionCancellation?.Cancel();
        }
    }
}
