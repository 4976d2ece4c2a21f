using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Routing;

/// <summary>Checks every standby each <see cref="ReplicaOptions.PollInterval"/>: is it reachable, is it still a
/// standby, how far behind is it, what share of its connections may this instance use. The primary's WAL position is
/// sampled in the same round, just before, so that lag is judged against what the primary had written by then.</summary>
internal sealed partial class ReadServerMonitor
{
    private const string ProbeSql = $"""
        SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(),
               extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,
               limits.*
        FROM ({ServerConnectionLimits.Sql}) AS limits
        """;

    private readonly ReadRouter router;
    private readonly NpgsqlDataSource primary;
    private readonly Func<int> instances;

    /// <param name="router">The router whose standbys are checked.</param>
    /// <param name="primary">A connection to the primary for its WAL position (the budget's control connection).</param>
    /// <param name="instances">How many instances share each server's connections (the budget's live instances).</param>
    public ReadServerMonitor(ReadRouter router, NpgsqlDataSource primary, Func<int> instances)
    {
        this.router = router;
        this.primary = primary;
        this.instances = instances;
    }

    /// <summary>Checks until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await CheckOnceAsync(cancellationToken);
                await Task.Delay(router.Options.PollInterval, router.TimeProvider, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One round: the primary's position, then every standby at once.</summary>
    public async Task CheckOnceAsync(CancellationToken cancellationToken)
    {
        var standbys = router.Standbys;
        if (standbys.Count == 0)
        {
            return;
        }

        await SamplePrimaryAsync(cancellationToken);
        await Task.WhenAll(standbys.Select(s => CheckAsync(s, cancellationToken)));
    }

    private async Task SamplePrimaryAsync(CancellationToken cancellationToken)
    {
        try
        {
            var position = await PrimaryWalPosition.ReadAsync(primary, cancellationToken);
            router.PrimaryHistory.Add(router.TimeProvider.GetUtcNow(), position);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            // Without a fresh primary position lag is judged against the last one: standbys stay in rotation, which
            // is what reads need while the primary is away.
            LogPrimaryUnsampled(router.Logger, exception.Message);
        }
    }

    /// <summary>Checks one standby of the round. The round works on the standbys as they were when it began: one that
    /// leaves the router meanwhile (drained by a scale-in or a replacement, or replaced by a restart on another port)
    /// has its data sources disposed under the check. That is not a failure of the standby, and above all not of the
    /// monitor, whose exception would stop the whole service: the check just ends, there is nothing left to judge.</summary>
    internal async Task CheckAsync(ReadServer server, CancellationToken cancellationToken)
    {
        try
        {
            await CheckRouterStandbyAsync(server, cancellationToken);
        }
        catch (ObjectDisposedException) when (!router.Standbys.Contains(server))
        {
        }
    }

    private async Task CheckRouterStandbyAsync(ReadServer server, CancellationToken cancellationToken)
    {
        ReadServerCheck check;
        using (var timeout = new CancellationTokenSource(router.Options.ProbeTimeout, router.TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                check = await ProbeAsync(server, linked.Token);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or IOException
                || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var reason = exception is OperationCanceledException
                    ? string.Create(CultureInfo.InvariantCulture, $"no answer within {router.Options.ProbeTimeout.TotalSeconds:0.###} s (Widgetify:Database:Replicas:ProbeTimeout)")
                    : exception.Message;
                check = ReadServerCheck.Unreachable(reason);
            }
        }

        server.Gate.SetLimit(check.Share);
        var lag = check.Replayed is { } replayed
            ? ReplicationLag.Judge(router.PrimaryHistory, replayed, check.LastCommitAge, router.TimeProvider.GetUtcNow())
            : ReplicationLag.None;
        if (check.Replayed is { } position)
        {
            server.Observe(position, lag);
        }

        var (state, problem) = check.Judge(lag, router.Options.MaxLag);
        if (server.MoveTo(state, problem) is { } previous)
        {
            if (state == ReadServerState.Down)
            {
                // Its connections are dead (a later server may reuse the port): the next check and reads open new ones.
                server.Pool.Clear();
                server.Probe.Clear();
            }

            LogStateChanged(router.Logger, server.Name, previous, state, problem ?? "streaming within the allowed lag");
        }
    }

    private async Task<ReadServerCheck> ProbeAsync(ReadServer server, CancellationToken cancellationToken)
    {
        await using var connection = await server.Probe.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(ProbeSql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var limits = new ServerConnectionLimits(reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5));
        // Each instance gets its part of the standby's own budget, less the probe connection it holds there.
        var share = Math.Max(0, (limits.BudgetFor(router.Options.ReservedForOtherClients) / Math.Max(1, instances())) - 1);
        return new ReadServerCheck(
            Reachable: true,
            InRecovery: reader.GetBoolean(0),
            Replayed: reader.IsDBNull(1) ? null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(1),
            LastCommitAge: reader.IsDBNull(2) ? null : TimeSpan.FromSeconds(reader.GetDouble(2)),
            Share: share,
            Problem: null);
    }

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Standby {Name}: {Previous} -> {State} ({Reason})")]
    private static partial void LogStateChanged(ILogger logger, string name, ReadServerState previous, ReadServerState state, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Could not read the primary's WAL position ({Reason}); standby lag is judged against the last one read")]
    private static partial void LogPrimaryUnsampled(ILogger logger, string reason);
}
