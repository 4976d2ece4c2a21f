using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Cli.Cluster.Autoscaling;

/// <summary>
/// The coordinator's side of the fleet's autoscaling ('cluster up'): every <see cref="ClusterOptions.StandbyPollInterval"/>
/// it keeps the registry equal to the standbys this process runs (a standby the supervisor made again elsewhere after a
/// failover moves, one it lost goes), keeps the floor of <c>--replicas</c> (<see cref="StandbyFloor"/>: a standby whose
/// server stays down past <see cref="ClusterOptions.StandbyReplaceAfter"/> is given up and another made, with bounded,
/// paced attempts), then takes the one step <see cref="StandbyPlan"/> decides for the leader's ask: make a
/// standby and register it serving, mark one leaving, stop one every instance has drained (or that waited
/// <see cref="ClusterOptions.StandbyDrainBound"/>), or answer the ask. The servers are made and removed with the same code
/// as under 'up' (<see cref="LocalStandbys"/>), in the same folders.
/// </summary>
internal sealed partial class StandbyReconciler(
    StandbyRegistry registry, LocalStandbys standbys, Func<IReadOnlySet<string>> liveInstances, int minReplicas, int? maxReplicas,
    ClusterOptions options, TimeProvider timeProvider, ILogger logger)
{
    private const string Host = "127.0.0.1";

    private readonly List<string> _done = [];
    private readonly Dictionary<string, DateTimeOffset> _downSince = new(StringComparer.Ordinal);
    private readonly HashSet<string> _givenUp = new(StringComparer.Ordinal);
    private ReplacementAttempts _attempts;
    private long _requestId;

    /// <summary>Raised with the registry after a change, for cluster.json.</summary>
    public event Action<IReadOnlyList<RegisteredStandby>>? Changed;

    /// <summary>What runs now, for <see cref="StandbyRegistry.ResetAsync"/> at the start.</summary>
    public IReadOnlyList<RegisteredStandby> Running() =>
        [.. standbys.Standbys.Select(s => new RegisteredStandby(s.Name, Host, s.Port, StandbyRotation.Serving))];

    /// <summary>Reconciles until cancelled; a failed round is logged and the next one tries again.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.StandbyPollInterval, timeProvider, cancellationToken);
                await ReconcileOnceAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Any failure, not only the database's: a loop that ended here would leave every later ask unanswered (each
                // leader action waiting its whole ScalingActionTimeout) and a leaving standby running for the fleet's life.
                LogRoundFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>One round: sync the registry, then one step: the floor's first (a standby given up, or one made while
    /// fewer than --replicas serve), else the ask's.</summary>
    internal async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        var registered = await SyncAsync(await registry.ReadStandbysAsync(cancellationToken), cancellationToken);
        if (await KeepFloorAsync(registered, cancellationToken))
        {
            Changed?.Invoke(await registry.ReadStandbysAsync(cancellationToken));
            return;
        }

        var request = await registry.ReadRequestAsync(cancellationToken);
        if (request is { Pending: true } && request.RequestId != _requestId)
        {
            _requestId = request.RequestId;
            _done.Clear();
            var serving = registered.Count(s => s.Rotation == StandbyRotation.Serving);
            LogAsked(logger, request.RequestedBy, request.Desired, serving);
        }

        var step = StandbyPlan.Decide(request, registered, liveInstances(), minReplicas, maxReplicas, options.StandbyDrainBound, timeProvider.GetUtcNow());
        switch (step.Kind)
        {
            case StandbyStepKind.Add:
                PostgresStandby added;
                try
                {
                    added = await standbys.AddAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or NpgsqlException or IOException)
                {
                    // A StandbyException among them (disk, port, max_wal_senders): answered as failed, so the leader's retries
                    // and cooldown pace the next attempt rather than this loop every second.
                    await registry.CompleteAsync(request!.RequestId, false, Summary($"failed: {ex.Message}"), cancellationToken);
                    LogAddFailed(logger, ex.Message);
                    return;
                }

                // A standby made here proves whatever stopped the floor's replacements is fixed: the floor tries again.
                _attempts = default;

                await registry.AddAsync(added.Name, Host, added.Port, cancellationToken);
                _done.Add(string.Create(CultureInfo.InvariantCulture, $"added {added.Name} on {Host}:{added.Port}"));
                LogAdded(logger, added.Name, added.Port);
                break;
            case StandbyStepKind.MarkLeaving:
                await registry.MarkLeavingAsync(step.Standby!, timeProvider.GetUtcNow(), cancellationToken);
                LogLeaving(logger, step.Standby!);
                break;
            case StandbyStepKind.Remove:
                await standbys.RemoveAsync(step.Standby!, cancellationToken);
                await registry.RemoveAsync(step.Standby!, cancellationToken);
                _done.Add(step.Reason);
                LogRemoved(logger, step.Reason);
                break;
            case StandbyStepKind.Complete:
                var answer = Summary(step.Reason);
                await registry.CompleteAsync(request!.RequestId, true, answer, cancellationToken);
                LogAnswered(logger, request.Desired, answer);
                return;
            case StandbyStepKind.Fail:
                await registry.CompleteAsync(request!.RequestId, false, step.Reason, cancellationToken);
                LogRefused(logger, step.Reason);
                return;
            default:
                return;
        }

        Changed?.Invoke(await registry.ReadStandbysAsync(cancellationToken));
    }

    /// <summary>Notes which standbys' servers are down (the supervisor restarts a killed one at once; this only counts how
    /// long one stays down), then takes the floor's step, if any. True when the registry changed.</summary>
    private async Task<bool> KeepFloorAsync(IReadOnlyList<RegisteredStandby> registered, CancellationToken cancellationToken)
    {
        // A given-up standby whose removal failed (the primary was away) is removed again before anything else.
        await RemoveGivenUpAsync(cancellationToken);

        var now = timeProvider.GetUtcNow();
        var running = standbys.Standbys;
        foreach (var standby in running)
        {
            // Not IsRunning: while the supervisor restarts a standby (crash recovery, up to its start timeout) the handle
            // has no pid yet, and a standby that is coming back must not be deleted and copied again.
            if (standby.HasLivePostmaster)
            {
                _downSince.Remove(standby.Name);
            }
            else if (_downSince.TryAdd(standby.Name, now))
            {
                LogDown(logger, standby.Name, standby.Port, options.StandbyReplaceAfter);
            }
        }

        foreach (var gone in _downSince.Keys.Where(name => !running.Any(s => s.Name == name)).ToList())
        {
            _downSince.Remove(gone);
        }

        var step = StandbyFloor.Decide(registered, _downSince, minReplicas, _attempts, options.StandbyReplaceAfter, options.StandbyReplaceAttempts, now);
        if (step.Kind == FloorStepKind.GiveUp)
        {
            // Out of the registry first: every instance's watcher then drops it from its reads (a dead server has no read
            // to finish), and none routes a read or a login there while its folder goes. If the removal then fails (the
            // primary is away), SyncAsync must not register it again as serving: it stays given up, and the removal is
            // retried at the next round.
            _givenUp.Add(step.Standby!);
            await registry.RemoveAsync(step.Standby!, cancellationToken);
            LogGivenUp(logger, step.Reason);
            await RemoveGivenUpAsync(cancellationToken);
            return true;
        }

        if (step.Kind != FloorStepKind.Replace)
        {
            return false;
        }

        LogReplacing(logger, step.Reason);
        try
        {
            var added = await standbys.AddAsync(cancellationToken);
            await registry.AddAsync(added.Name, Host, added.Port, cancellationToken);
            _attempts = default;
            LogReplaced(logger, added.Name, added.Port, minReplicas);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or NpgsqlException or IOException)
        {
            _attempts = new ReplacementAttempts(_attempts.Failed + 1, timeProvider.GetUtcNow());
            if (_attempts.Failed >= options.StandbyReplaceAttempts)
            {
                LogReplacementAbandoned(logger, _attempts.Failed, ex.Message, minReplicas);
            }
            else
            {
                LogReplacementFailed(logger, _attempts.Failed, options.StandbyReplaceAttempts, ex.Message, StandbyFloor.NextAttempt(_attempts));
            }
        }

        return true;
    }

    /// <summary>Stops the given-up standbys, drops their slots and deletes their folders; one is forgotten only once that
    /// worked, so a removal that failed is tried again at the next round.</summary>
    private async Task RemoveGivenUpAsync(CancellationToken cancellationToken)
    {
        foreach (var name in _givenUp.ToList())
        {
            await standbys.RemoveAsync(name, cancellationToken);
            _givenUp.Remove(name);
            _downSince.Remove(name);
        }
    }

        /// <summary>The registry as this process runs the standbys: the supervisor restarts a dead standby on its port, but a
    /// failover makes the others again (possibly on other ports) and may lose one.</summary>
    private async Task<IReadOnlyList<RegisteredStandby>> SyncAsync(IReadOnlyList<RegisteredStandby> registered, CancellationToken cancellationToken)
    {
        var running = standbys.Standbys.ToDictionary(s => s.Name, s => s.Port, StringComparer.Ordinal);
        var changed = false;
        foreach (var standby in registered)
        {
            if (!running.TryGetValue(standby.Name, out var port))
            {
                await registry.RemoveAsync(standby.Name, cancellationToken);
                LogForgotten(logger, standby.Name);
                changed = true;
            }
            else if (port != standby.Port)
            {
                await registry.MoveAsync(standby.Name, port, cancellationToken);
                changed = true;
            }
        }

        foreach (var (name, port) in running.Where(r => !registered.Any(s => s.Name == r.Key) && !_givenUp.Contains(r.Key)))
        {
            await registry.AddAsync(name, Host, port, cancellationToken);
            changed = true;
        }

        if (!changed)
        {
            return registered;
        }

        var now = await registry.ReadStandbysAsync(cancellationToken);
        Changed?.Invoke(now);
        return now;
    }

    private string Summary(string end) => _done.Count == 0 ? end : $"{string.Join("; ", _done)}; {end}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Autoscaler ({RequestedBy}) asks for {Desired} standby(s); {Serving} serving now")]
    private static partial void LogAsked(ILogger logger, string requestedBy, int desired, int serving);

    [LoggerMessage(Level = LogLevel.Information, Message = "Standby {Name} streams on 127.0.0.1:{Port} and is registered: every instance adds it to its reads")]
    private static partial void LogAdded(ILogger logger, string name, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A standby could not be added: {Reason}")]
    private static partial void LogAddFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Standby {Name} is leaving: every instance drains it before it is stopped")]
    private static partial void LogLeaving(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Standby {What}")]
    private static partial void LogRemoved(ILogger logger, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "Answered the autoscaler ({Desired} standby(s)): {Message}")]
    private static partial void LogAnswered(ILogger logger, int desired, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused the autoscaler's ask: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Standby {Name} no longer runs under this process (lost in a failover): removed from the registry, the instances stop reading from it")]
    private static partial void LogForgotten(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Standby {Name} (127.0.0.1:{Port}) is down; its supervisor restarts it, and it is replaced if it is still down after {ReplaceAfter} (Widgetify:Cluster:StandbyReplaceAfter)")]
    private static partial void LogDown(ILogger logger, string name, int port, TimeSpan replaceAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Standby given up: {Reason}. Removed from the registry (every instance stops reading from it), then stopped, its slot dropped and its folder deleted")]
    private static partial void LogGivenUp(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replacing a standby: {Reason}")]
    private static partial void LogReplacing(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Standby {Name} streams on 127.0.0.1:{Port} and is registered: back to the floor of {MinReplicas} (--replicas)")]
    private static partial void LogReplaced(ILogger logger, string name, int port, int minReplicas);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replacement attempt {Attempt} of {MaxAttempts} failed: {Reason}. Next attempt at {NextAttempt:O} (Widgetify:Cluster:StandbyReplaceAttempts)")]
    private static partial void LogReplacementFailed(ILogger logger, int attempt, int maxAttempts, string reason, DateTimeOffset nextAttempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up replacing a standby after {Attempts} failed attempts in a row (the last: {Reason}): the fleet runs below --replicas {MinReplicas}. Fix the cause (disk, ports, the primary's max_wal_senders) and restart 'cluster up'; an autoscaler's scale-out still adds standbys meanwhile")]
    private static partial void LogReplacementAbandoned(ILogger logger, int attempts, string reason, int minReplicas);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Standby reconciliation failed, retried next round: {Reason}")]
    private static partial void LogRoundFailed(ILogger logger, string reason);
}
