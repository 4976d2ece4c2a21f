using Npgsql;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Controller;

/// <summary>Act and record: the one place where the autoscaler has side effects.</summary>
internal sealed partial class ScalingController
{
    private async Task StartActionAsync(ScalingDecision decision, ReadPathSignals? signals)
    {
        var at = timeProvider.GetUtcNow();
        var pending = new ScalingDecisionRecord
        {
            At = at,
            Instance = InstanceName,
            Direction = decision.Direction,
            From = decision.From,
            To = decision.To,
            Reason = decision.Reason,
            Result = ScalingResult.Pending,
        };
        long id = 0;
        await TryStoreAsync(async () => id = await store.InsertAsync(pending, CancellationToken.None));
        pending = pending with { Id = id };
        decisions.Add(pending);
        ScalingLog.Decided(logger, decision.Direction, decision.From, decision.To, decision.Reason);
        Notify(o => o.OnDecided(pending));

        var action = new ScalingAction
        {
            Direction = decision.Direction,
            CurrentReplicas = decision.From,
            DesiredReplicas = decision.To,
            MinReplicas = options.MinReplicas,
            MaxReplicas = options.MaxReplicas,
            Reason = decision.Reason,
            At = at,
            Signals = signals,
        };
        lock (state)
        {
            actionCancellation?.Dispose();
            actionCancellation = new CancellationTokenSource();
            if (stopping)
            {
                actionCancellation.Cancel();
            }

            // Task.Run: the provider's synchronous start (process creation) must not hold up the tick that renews the lease.
            var token = actionCancellation.Token;
            actionInFlight = Task.Run(() => RunActionAsync(pending, action, token), CancellationToken.None);
        }
    }

    private async Task RunActionAsync(ScalingDecisionRecord pending, ScalingAction action, CancellationToken cancellationToken)
    {
        ScalingActionResult result;
        try
        {
            result = await provider.ApplyAsync(action, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result = ScalingActionResult.Failure(stopping
                ? "Stopped: the service shut down during the action; the standbys may have been changed in part."
                : "Stopped: this instance lost the leader lease during the action (Widgetify:Scaling:LeaderLeaseDuration); the standbys may have been changed in part.");
        }

        var completedAt = timeProvider.GetUtcNow();
        var completed = pending with
        {
            Result = result.Succeeded ? ScalingResult.Succeeded : ScalingResult.Failed,
            Message = result.Message,
            CompletedAt = completedAt,
            ReplicasAfter = result.Replicas,
        };
        lock (state)
        {
            lastAction = new LastAction(completedAt, result.Succeeded);
            if (result.Replicas is { } replicas)
            {
                reportedReplicas = replicas;
            }
        }

        if (result.Succeeded)
        {
            ScalingLog.Succeeded(logger, action.Direction, action.CurrentReplicas, action.DesiredReplicas, result.Message);
        }
        else
        {
            ScalingLog.Failed(logger, action.Direction, action.CurrentReplicas, action.DesiredReplicas, result.Message);
        }

        metrics.RecordAction(action.Direction, completed.Result);
        decisions.Replace(pending, completed);
        if (completed.Id != 0)
        {
            await TryStoreAsync(() => store.CompleteAsync(completed, CancellationToken.None));
        }

        Notify(o => o.OnCompleted(completed, result));
    }

    private void OnRetry(ScalingAction attempt, ScalingActionResult result, TimeSpan delay) =>
        ScalingLog.AttemptFailed(logger, attempt.Direction, attempt.CurrentReplicas, attempt.DesiredReplicas, attempt.Attempt, delay, result.Message);

    /// <summary>Writes to the decisions table; a failure is logged, not thrown: the decision stands and is kept in memory.</summary>
    private async Task TryStoreAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            ScalingLog.RecordFailed(logger, ex);
        }
    }

    private void Notify(Action<IScalingObserver> call)
    {
        foreach (var observer in observers)
        {
            try
            {
                call(observer);
            }
            catch (Exception ex)
            {
                ScalingLog.ObserverFailed(logger, ex, observer.GetType().Name);
            }
        }
    }
}
