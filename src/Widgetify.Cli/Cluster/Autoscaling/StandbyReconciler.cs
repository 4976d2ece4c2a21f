using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Cli.Cluster.Autoscaling;

/// <summary>
/// The coordinator's side of the fleet's autoscaling ('cluster up'): every <see cref="ClusterOptions.StandbyPollInterval"/>
/// it keeps the registry equal to the standbys this process runs (a standby the supervisor made again elsewhere after a
/// failover moves, one it lost goes), then takes the one step <see cref="StandbyPlan"/> decides for the leader's ask: make a
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

    /// <summary>One round: sync the registry, then one step.</summary>
    internal async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        var registered = await SyncAsync(await registry.ReadStandbysAsync(cancellationToken), cancellationToken);
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

        foreach (var (name, port) in running.Where(r => !registered.Any(s => s.Name == r.Key)))
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Standby reconciliation failed, retried next round: {Reason}")]
    private static partial void LogRoundFailed(ILogger logger, string reason);
}
