using Npgsql;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>The lease protocol: one renewal per heartbeat, each in one transaction under the lease lock.</summary>
public sealed partial class PoolGovernor
{
    /// <summary>Creates the lease table if missing on <paramref name="owner"/>: the connection of the role that owns the
    /// schema, with which the service runs its migrations, when its own role may only read and write rows.</summary>
    /// <param name="owner">The schema owner's connection.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task that completes when the table exists.</returns>
    public static async Task CreateLeaseTableAsync(NpgsqlDataSource owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await LeaseTable.EnsureCreatedAsync(connection, cancellationToken);
    }

    /// <summary>Renews the lease once, in turn with other lease work; failures are thrown, not retried. The heartbeat
    /// loop retries; callers (tests, the API's wiring tests) use it to step the protocol without waiting for a heartbeat.</summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        await leaseWork.WaitAsync(cancellationToken);
        try
        {
            await RenewCoreAsync(cancellationToken);
        }
        finally
        {
            leaseWork.Release();
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        await leaseWork.WaitAsync(cancellationToken);
        try
        {
            // An attempt may not outlast the lease: a renewal stuck on a dead network must not keep the share alive past
            // the moment the database expires the lease and peers may take it.
            var remaining = options.LeaseDuration - timeProvider.GetElapsedTime(lastRenewalStartedAt);
            using var attempt = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : options.HeartbeatInterval, timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.Token);
            try
            {
                await RenewCoreAsync(linked.Token);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or OperationCanceledException)
            {
                LogRenewalFailed(ex);
                LoseLeaseIfOverdue();
            }
        }
        finally
        {
            leaseWork.Release();
        }
    }

    private async Task RenewCoreAsync(CancellationToken cancellationToken)
    {
        if (stopped)
        {
            return;
        }

        // Measured before the database stamps the renewal, so this instance gives up its lease no later than the
        // database expires it, whatever the clocks say.
        var startedAt = timeProvider.GetTimestamp();
        await using var connection = await ControlDataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            if (!tableReady)
            {
                await LeaseTable.EnsureCreatedAsync(connection, cancellationToken);
                tableReady = true;
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var view = await LeaseTable.LockAndReadAsync(connection, transaction, InstanceId, leaseClock, cancellationToken);
            if (view.Expired > 0)
            {
                PoolGovernanceLog.ExpiredLeasesRemoved(logger, view.Expired);
            }

            var budget = view.Limits.BudgetFor(options.ReservedForOtherClients);
            var wanted = Wanted(budget);
            var plan = SharePlanner.Plan(budget, InstanceId, wanted, view.Peers);
            if (plan.Share < Gate.Limit)
            {
                // Lower before the lease records the smaller share: from here on no acquisition takes the holders past
                // it, so the held count read below is the most this instance holds until its next renewal.
                Gate.SetLimit(plan.Share);
                Publish(Leased(view.Limits, budget, wanted, plan, Current.LastRenewedAt, Current.LeaseValid));
            }

            // Never record less than is held: connections above a shrunk share are given back as they close, not taken
            // away, and until then peers must count them.
            var granted = Math.Max(plan.Share, Gate.Held);
            var renewedAt = await LeaseTable.UpsertAsync(
                connection, transaction, InstanceId, InstanceName, wanted, granted, options.LeaseDuration, leaseClock, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            lastRenewalStartedAt = startedAt;

            // Raise only now that the table records the share, so every peer's next renewal counts it.
            Gate.SetLimit(plan.Share);
            Publish(Leased(view.Limits, budget, wanted, plan, renewedAt, leaseValid: true));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // Someone dropped the table: the next renewal creates it again.
            tableReady = false;
            throw;
        }
    }

    private void LoseLeaseIfOverdue()
    {
        var snapshot = Current;
        if (!snapshot.LeaseValid || timeProvider.GetElapsedTime(lastRenewalStartedAt) < options.LeaseDuration)
        {
            return;
        }

        Gate.SetLimit(0);
        PoolGovernanceLog.LeaseLost(logger, InstanceName, options.LeaseDuration);
        Publish(snapshot with { Share = 0, LeaseValid = false, Reason = BudgetReason.LeaseLost(snapshot.Reason, options.LeaseDuration) });
    }

    private void Publish(PoolBudgetSnapshot next)
    {
        var previous = Interlocked.Exchange(ref current, next);
        if (previous.Share == next.Share)
        {
            return;
        }

        PoolGovernanceLog.ShareChanged(logger, InstanceName, previous.Share, next.Share, next.Target, next.Budget, next.Instances);
        try
        {
            ShareChanged?.Invoke(next);
        }
        catch (Exception ex)
        {
            // A faulty handler must not stop the lease work: the gate already enforces the new share.
            PoolGovernanceLog.ShareChangedHandlerFailed(logger, ex, InstanceName, next.Share);
        }
    }

    /// <summary>The pool this instance asks the budget for: the configured Max Pool Size, or, when none is set, all the
    /// budget less this instance's own connections (control and listener), so the default pool follows the server instead
    /// of Npgsql's fixed 100 (which the embedded server's budget of 87 clamped, with a warning, at every start).</summary>
    private int Wanted(int? budget) => configuredMaxPoolSize ?? (budget is { } b ? Math.Max(1, b - SharePlanner.OwnConnectionsPerInstance) : NpgsqlDefaultMaxPoolSize);

    /// <summary>Npgsql's Max Pool Size when the connection string sets none.</summary>
    private const int NpgsqlDefaultMaxPoolSize = 100;

    private PoolBudgetSnapshot Leased(
        ServerConnectionLimits limits, int budget, int wanted, SharePlan plan, DateTimeOffset? renewedAt, bool leaseValid)
    {
        // The app's pool plus this instance's own connections must fit the budget even if all else were idle.
        var applied = Math.Max(1, Math.Min(wanted, budget - SharePlanner.OwnConnectionsPerInstance));
        return new PoolBudgetSnapshot
        {
            ConfiguredMaxPoolSize = wanted,
            FollowsBudget = configuredMaxPoolSize is null,
            AppliedMaxPoolSize = applied,
            Budget = budget,
            Share = plan.Share,
            Target = plan.Target,
            Instances = plan.Instances,
            ServerLimits = limits,
            InstanceId = InstanceId,
            Reason = BudgetReason.Explain(configuredMaxPoolSize, applied, limits, options.ReservedForOtherClients, budget, plan),
            LeaseValid = leaseValid,
            LastRenewedAt = renewedAt,
        };
    }

    private PoolBudgetSnapshot Unleased(string reason) => new()
    {
        ConfiguredMaxPoolSize = Wanted(null),
        FollowsBudget = configuredMaxPoolSize is null,
        AppliedMaxPoolSize = 0,
        Budget = null,
        Share = 0,
        Target = 0,
        Instances = 0,
        ServerLimits = null,
        InstanceId = InstanceId,
        Reason = reason,
        LeaseValid = false,
        LastRenewedAt = null,
    };

    private PoolBudgetSnapshot DisabledSnapshot() => new()
    {
        ConfiguredMaxPoolSize = Wanted(null),
        AppliedMaxPoolSize = Wanted(null),
        Budget = null,
        Share = Wanted(null),
        Target = Wanted(null),
        Instances = 1,
        ServerLimits = null,
        InstanceId = InstanceId,
        Reason = BudgetReason.Disabled(Wanted(null)),
        LeaseValid = false,
        LastRenewedAt = null,
    };
}
