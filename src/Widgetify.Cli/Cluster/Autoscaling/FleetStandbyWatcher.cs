using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Api.Scaling;
using Widgetify.Overload.Routing;

namespace Widgetify.Cli.Cluster.Autoscaling;

/// <summary>
/// Runs in every instance of a 'cluster up' fleet: every <see cref="ClusterOptions.StandbyPollInterval"/> it reads the
/// coordinator's registry of standbys (<see cref="StandbyRegistry"/>) on the instance's control connection and makes its
/// read router match it. A serving standby it lacks (or that moved to another port) is added; it takes reads once the
/// router's own check finds it streaming within the allowed lag, and a read carrying a consistency token goes to it only
/// where that write has been replayed, exactly as for a standby configured at the start. A leaving standby is drained
/// (out of rotation, this instance's reads on it finish, at most <see cref="DrainTimeout"/>) and then acknowledged, which
/// is what lets the coordinator stop it. A standby the registry no longer lists at all is drained too.
/// Polling, not LISTEN: a change is rare, a second's delay costs nothing (the coordinator waits for every instance's
/// acknowledgement anyway), and the instance's one listening connection is kept for the request path's notifications.
/// </summary>
internal sealed partial class FleetStandbyWatcher(
    StandbyRegistry registry, ReadReplicas replicas, string primaryConnectionString, string instanceName, TimeSpan interval,
    TimeProvider timeProvider, ILogger<FleetStandbyWatcher> logger) : BackgroundService
{
    /// <summary>How long this instance's reads on a leaving standby may still run; each read has its own, shorter, deadline.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Task> _draining = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReconcileOnceAsync(stoppingToken);
                await Task.Delay(interval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogReadFailed(logger, ex.Message);
                await Task.Delay(interval, timeProvider, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Reads the registry once and makes the router match it; also called by the fleet's provider before it
    /// returns, so the leader's router has the standby its action made.</summary>
    public async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var registered = await registry.ReadStandbysAsync(cancellationToken);
            var routed = replicas.Standbys();
            foreach (var standby in registered.Where(s => s.Rotation == StandbyRotation.Serving))
            {
                var current = routed.FirstOrDefault(r => r.Name == standby.Name);
                if (current is null || current.Port != standby.Port || current.Host != standby.Host || current.State == ReadServerState.Draining)
                {
                    if (replicas.Add(standby.Name, ConnectionString(standby)))
                    {
                        LogAdded(logger, standby.Name, standby.Host, standby.Port);
                    }
                }
            }

            foreach (var leaving in registered.Where(s => s.Rotation == StandbyRotation.Leaving && !s.DrainedBy.Contains(instanceName)))
            {
                StartDrain(leaving.Name, leaving.Id, cancellationToken);
            }

            foreach (var gone in routed.Where(r => !registered.Any(s => s.Name == r.Name)))
            {
                StartDrain(gone.Name, standbyId: null, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The password-free endpoint completed with this instance's own login, as the scaling observer completes a
    /// provider's endpoints (Api/Scaling/ReportedEndpoints), so that both give the router the same string.</summary>
    private string ConnectionString(RegisteredStandby standby)
    {
        var primary = new NpgsqlConnectionStringBuilder(primaryConnectionString);
        var csb = new NpgsqlConnectionStringBuilder(standby.EndpointConnectionString);
        csb.Username ??= primary.Username;
        csb.Password ??= primary.Password;
        csb.Database ??= primary.Database;
        return csb.ConnectionString;
    }

    /// <summary>Drains in the background (the loop goes on reading the registry) and acknowledges a registered leaving
    /// standby once done; a failed acknowledgement is tried again next round, the drain then finding nothing left.</summary>
    private void StartDrain(string name, long? standbyId, CancellationToken cancellationToken)
    {
        lock (_draining)
        {
            if (_draining.TryGetValue(name, out var running) && !running.IsCompleted)
            {
                return;
            }

            _draining[name] = Task.Run(
                async () =>
                {
                    try
                    {
                        var left = await replicas.DrainAsync(name, DrainTimeout, cancellationToken);
                        if (left >= 0)
                        {
                            LogDrained(logger, name, left);
                        }

                        if (standbyId is { } id)
                        {
                            await registry.AckDrainedAsync(id, instanceName, Math.Max(left, 0), cancellationToken);
                        }
                    }
                    catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
                    {
                        LogAckFailed(logger, name, ex.Message);
                    }
                },
                CancellationToken.None);
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Standby {Name} ({Host}:{Port}) is in the fleet's registry: added to this instance's reads")]
    private static partial void LogAdded(ILogger logger, string name, string host, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Standby {Name} left this instance's reads ({Left} read(s) still running when the wait ended)")]
    private static partial void LogDrained(ILogger logger, string name, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The fleet's registry of standbys could not be read, tried again in a moment: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The drain of standby {Name} could not be acknowledged, tried again next round: {Reason}")]
    private static partial void LogAckFailed(ILogger logger, string name, string reason);
}
