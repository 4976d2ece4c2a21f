using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Core.Database;
using Widgetify.Core.Deadlines;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>Keeps every Widgetify instance on a database within what PostgreSQL can take, together: each holds a lease
/// in a shared table, the leases divide the server's budget fairly, and connections are opened through a gate sized
/// to this instance's share. On Feb 15, 2024 a pool was allowed more connections than the server had.</summary>
public sealed partial class PoolGovernor : IAsyncDisposable
{
    private int? configuredMaxPoolSize; // changed only under leaseWork (ChangeMaxPoolSizeAsync)
    private readonly ConnectionBudgetOptions options;
    private readonly TimeProvider timeProvider;
    private readonly LeaseClock leaseClock;
    private readonly ILogger logger;
    private readonly PoolGovernanceMetrics? metrics;
    private readonly SemaphoreSlim leaseWork = new(1, 1);
    private readonly Action<long>? recordHold;
    private PoolBudgetSnapshot current;
    private long lastRenewalStartedAt;
    private PoolTimeout? poolTimeout;
    private bool tableReady;
    private bool stopped;

    /// <summary>The table every instance's lease is in, one row per live instance: what a reader outside the service (the
    /// pool review) counts instances from.</summary>
    public const string LeaseTableName = LeaseTable.Name;

    /// <summary>Creates a governor; it takes no lease and opens nothing until <see cref="StartAsync"/>.</summary>
    /// <param name="appConnectionString">The app's connection string; the control connection is built from it.</param>
    /// <param name="configuredMaxPoolSize">The Max Pool Size the app's settings ask for; null when they set none, and the
    /// pool follows the budget (it wants all of it; with the budget disabled, Npgsql's default of 100).</param>
    /// <param name="instanceName">Names the instance in the lease table, logs, metrics and (with <c>-control</c>)
    /// the control connection's application_name.</param>
    /// <param name="options">The budget's settings; validated and copied, later changes are not seen.</param>
    /// <param name="timeProvider">Paces heartbeats and measures durations. Leases are stamped and expired by the
    /// database's clock, not this one: it is the only clock all instances share.</param>
    /// <param name="loggerFactory">Creates the governor's logger.</param>
    /// <param name="metrics">Receives durations and observes gauges; none when null.</param>
    public PoolGovernor(
        string appConnectionString, int? configuredMaxPoolSize, string instanceName, ConnectionBudgetOptions options,
        TimeProvider timeProvider, ILoggerFactory loggerFactory, PoolGovernanceMetrics? metrics = null)
        : this(appConnectionString, configuredMaxPoolSize, instanceName, options, timeProvider, LeaseClock.Database, loggerFactory, metrics)
    {
    }

    /// <summary>Creates a governor whose leases are stamped and expired by <paramref name="leaseClock"/>: tests pass
    /// <see cref="LeaseClock.Of"/> their fake clock, so heartbeats, lease loss and peers' lease expiry all run on it.</summary>
    internal PoolGovernor(
        string appConnectionString, int? configuredMaxPoolSize, string instanceName, ConnectionBudgetOptions options,
        TimeProvider timeProvider, LeaseClock leaseClock, ILoggerFactory loggerFactory, PoolGovernanceMetrics? metrics)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(appConnectionString);
        if (configuredMaxPoolSize is { } configured)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(configured, 1, nameof(configuredMaxPoolSize));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(instanceName);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(leaseClock);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        this.options = Validate(options);
        this.configuredMaxPoolSize = configuredMaxPoolSize;
        this.timeProvider = timeProvider;
        this.leaseClock = leaseClock;
        this.metrics = metrics;
        InstanceName = instanceName;
        logger = loggerFactory.CreateLogger<PoolGovernor>();
        InstanceId = Guid.CreateVersion7(timeProvider.GetUtcNow());
        ControlDataSource = BuildControlDataSource(appConnectionString, instanceName);

        current = this.options.Enabled ? Unleased(BudgetReason.NotStarted(configuredMaxPoolSize)) : DisabledSnapshot();
        Gate = new ConnectionGate(current.Share);
        recordHold = metrics is null ? null : RecordHold; // one delegate, not one per opened connection
        metrics?.Attach(this);
    }

    /// <summary>Raised after <see cref="PoolBudgetSnapshot.Share"/> changed, on the thread that renewed the lease.
    /// On a shrink it is raised before the lease records the smaller share: a handler that closes idle connections
    /// (<see cref="NpgsqlDataSource.Clear"/>) does so before peers can grow into them.</summary>
    public event Action<PoolBudgetSnapshot>? ShareChanged;

    /// <summary>This instance's own connection (Max Pool Size 1, application_name <c>&lt;name&gt;-control</c>) for the
    /// lease work; it counts in the budget. The app may run its migrations on it, but renewals wait while it does: work
    /// held longer than the lease duration lets the lease lapse.</summary>
    public NpgsqlDataSource ControlDataSource { get; }

    /// <summary>The control connection's pool name in Npgsql's metrics.</summary>
    public const string ControlPoolName = "widgetify-control";

    /// <summary>Connections each instance holds on the primary outside its request pool and that the budget counts: the
    /// control connection and the app's notification listener. A pool sized to the budget leaves these out.</summary>
    public const int OwnConnectionsPerInstance = SharePlanner.OwnConnectionsPerInstance;

    /// <summary>This instance's part of the budget as of the last renewal.</summary>
    public PoolBudgetSnapshot Current => Volatile.Read(ref current);

    internal Guid InstanceId { get; }

    internal string InstanceName { get; }

    internal ConnectionGate Gate { get; }

    /// <summary>Creates the lease table if needed and takes the first lease, so the app can size its pool from
    /// <see cref="PoolBudgetSnapshot.AppliedMaxPoolSize"/> before it opens any connection. Logs what was configured,
    /// what was applied and why.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the first lease is recorded.</returns>
    /// <exception cref="NpgsqlException">PostgreSQL could not be reached or refused the lease work.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Enabled)
        {
            await RenewAsync(cancellationToken);
        }

        var snapshot = Current;
        if (snapshot.AppliedMaxPoolSize < snapshot.ConfiguredMaxPoolSize)
        {
            PoolGovernanceLog.PoolClamped(logger, snapshot.Reason);
        }
        else
        {
            PoolGovernanceLog.PoolWithinBudget(logger, snapshot.Reason);
        }
    }

    /// <summary>Renews the lease every <see cref="ConnectionBudgetOptions.HeartbeatInterval"/> until cancelled.
    /// A failed renewal is logged and retried on the next beat; after <see cref="ConnectionBudgetOptions.LeaseDuration"/>
    /// without success the lease counts as lost and the share is 0 until a renewal succeeds.</summary>
    /// <param name="cancellationToken">Ends the loop; the task then completes without an exception.</param>
    /// <returns>A task that completes when the loop ends.</returns>
    public async Task RunHeartbeatsAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        // After StopAsync there is no lease left to renew.
        while (!cancellationToken.IsCancellationRequested && !Volatile.Read(ref stopped))
        {
            try
            {
                await Task.Delay(options.HeartbeatInterval, timeProvider, cancellationToken);
                await HeartbeatAsync(cancellationToken);
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException or NpgsqlException or TimeoutException)
            {
                // Stopping. A renewal the stop interrupted ends however the driver ends it: against a frozen server (SIGSTOP
                // accepts the connection and never answers) Npgsql's connect gives up with its own timeout, not with the
                // cancellation, and that exception stopped 'up' with "The operation has timed out", exit code 1.
                return;
            }
        }
    }

    /// <summary>Deletes this instance's lease, so peers grow into its share on their next heartbeat, and sets the share
    /// to 0. Call it after the app has stopped using connections.</summary>
    /// <param name="cancellationToken">Cancels the stop; the lease then expires on its own.</param>
    /// <returns>A task that completes once the lease is deleted, or once deleting it has failed (logged): it does not
    /// throw when PostgreSQL is unreachable.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await leaseWork.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // A renewal still holds the lease's work: a frozen or cut-off server ignores its cancel request. The host's
            // shutdown timeout ended the stop here, which threw out of 'up' as an unhandled exception (a tester's finding).
            PoolGovernanceLog.LeaseNotReleasedDatabaseAway(logger, InstanceName, "the stop's deadline passed before it could begin; a renewal may still be waiting for the database", options.LeaseDuration);
            return;
        }

        try
        {
            if (stopped || !options.Enabled)
            {
                return;
            }

            Volatile.Write(ref stopped, true);
            Gate.SetLimit(0);
            Publish(Unleased(BudgetReason.Stopped()) with { LastRenewedAt = Current.LastRenewedAt });
            if (tableReady)
            {
                await ReleaseLeaseAsync(cancellationToken);
            }
        }
        finally
        {
            leaseWork.Release();
        }
    }

    /// <summary>A database that is down or does not answer in time is what renewals are retried for: one line with the
    /// reason. Anything else is unexpected and keeps its stack trace.</summary>
    private void LogRenewalFailed(Exception exception)
    {
        var reason = DatabaseUnavailable.Is(exception, out var unavailable) ? unavailable
            : exception is OperationCanceledException ? "no answer before the attempt's deadline" : null;
        if (reason is null)
        {
            PoolGovernanceLog.RenewalFailed(logger, exception, InstanceName, options.HeartbeatInterval, options.LeaseDuration);
        }
        else
        {
            PoolGovernanceLog.RenewalFailedDatabaseAway(logger, InstanceName, reason, options.HeartbeatInterval, options.LeaseDuration);
        }
    }

    /// <summary>Deletes the lease on a best-effort basis: a stop must complete even when PostgreSQL is gone, and an
    /// unreleased lease only delays peers until it expires. The pooled control connection may have been broken since
    /// its last use (a server restart, an administrator's terminate), so a failure is retried once on a fresh one.</summary>
    private async Task ReleaseLeaseAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await ControlDataSource.OpenConnectionAsync(cancellationToken);
                await LeaseTable.DeleteAsync(connection, InstanceId, cancellationToken);
                PoolGovernanceLog.LeaseReleased(logger, InstanceName);
                return;
            }
            catch (NpgsqlException) when (attempt == 1)
            {
                ControlDataSource.Clear();
            }
            catch (Exception exception) when (DatabaseUnavailable.Is(exception, out var reason))
            {
                // The database is down or restarting: expected at a stop during an outage, so one line, no stack trace.
                PoolGovernanceLog.LeaseNotReleasedDatabaseAway(logger, InstanceName, reason, options.LeaseDuration);
                return;
            }
            catch (OperationCanceledException)
            {
                PoolGovernanceLog.LeaseNotReleasedDatabaseAway(logger, InstanceName, "the stop's deadline passed first", options.LeaseDuration);
                return;
            }
            catch (NpgsqlException exception)
            {
                PoolGovernanceLog.LeaseNotReleased(logger, exception, InstanceName, options.LeaseDuration);
                return;
            }
        }
    }

    /// <summary>Changes, at run time, the Max Pool Size this instance asks the budget for (the pool review's <c>--apply</c>):
    /// the lease is renewed at once with the new size, so the gate (and the share peers see) follow it now rather than at
    /// the next heartbeat; a renewal that fails leaves it to the next heartbeat. Never more than the budget allows, as at
    /// start. With the budget disabled the gate follows the size at once, up to the pool Npgsql was built with.</summary>
    /// <param name="size">The new size; null to follow the budget again.</param>
    /// <param name="cancellationToken">Cancels the wait for the lease work.</param>
    /// <returns>The snapshot after the change.</returns>
    public async Task<PoolBudgetSnapshot> ChangeMaxPoolSizeAsync(int? size, CancellationToken cancellationToken)
    {
        if (size is { } given)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(given, 1, nameof(size));
        }

        await leaseWork.WaitAsync(cancellationToken);
        try
        {
            configuredMaxPoolSize = size;
            if (!options.Enabled)
            {
                Gate.SetLimit(Wanted(null));
                Publish(DisabledSnapshot());
            }
            else if (!stopped && tableReady)
            {
                try
                {
                    await RenewCoreAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    LogRenewalFailed(ex);
                }
            }

            return Current;
        }
        finally
        {
            leaseWork.Release();
        }
    }

    /// <summary>Opens a connection from <paramref name="pool"/> once this instance's share has room for it. The slot
    /// is given back exactly once, when the connection closes, breaks or is disposed; reopening the same connection
    /// object bypasses the gate, so open a new one through this method instead.</summary>
    /// <param name="pool">The app's pool, built with <see cref="PoolBudgetSnapshot.AppliedMaxPoolSize"/>.</param>
    /// <param name="cancellationToken">Gives up waiting or opening; nothing is held then.</param>
    /// <returns>An open connection.</returns>
    /// <exception cref="NpgsqlException">The share stayed in use for the pool's 'Timeout', as Npgsql's own pool
    /// reports exhaustion; the message says which settings to change.</exception>
    public ValueTask<NpgsqlConnection> OpenConnectionAsync(NpgsqlDataSource pool, CancellationToken cancellationToken) =>
        OpenConnectionAsync(pool, deadline: null, cancellationToken);

    /// <summary>Opens a connection from <paramref name="pool"/> for a request: the wait for the share ends at the
    /// request's deadline or at the pool's 'Timeout', whichever comes first (<see cref="ShareWait"/>), and so does
    /// Npgsql's own pool wait and connect, which take the deadline's token.</summary>
    /// <param name="pool">The app's pool, built with <see cref="PoolBudgetSnapshot.AppliedMaxPoolSize"/>.</param>
    /// <param name="deadline">The request's deadline; null outside a request (the pool's 'Timeout' alone bounds the wait).</param>
    /// <param name="cancellationToken">Gives up waiting or opening; nothing is held then.</param>
    /// <returns>An open connection.</returns>
    /// <exception cref="OperationCanceledException">The deadline passed first; the message says what was waited for and
    /// which settings to change, and the inner exception is a <see cref="TimeoutException"/>.</exception>
    /// <exception cref="NpgsqlException">The share stayed in use for the pool's 'Timeout', which came before the deadline.</exception>
    public async ValueTask<NpgsqlConnection> OpenConnectionAsync(
        NpgsqlDataSource pool, RequestDeadline? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var startedAt = timeProvider.GetTimestamp();
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        if (linked is not null)
        {
            cancellationToken = linked.Token; // the open below (Npgsql's pool wait and connect) ends at the deadline too
        }

        if (!Gate.TryAcquire())
        {
            await WaitForShareAsync(pool, deadline, cancellationToken);
        }

        var connection = await Gate.OpenHeldAsync(pool, cancellationToken);
        var openedAt = timeProvider.GetTimestamp();
        if (metrics is { AcquireDurationEnabled: true })
        {
            metrics.RecordAcquire(InstanceName, timeProvider.GetElapsedTime(startedAt, openedAt));
        }

        _ = new GateSlot(Gate, connection, openedAt, recordHold);
        return connection;
    }

    /// <summary>Disposes the control connection and leaves the metrics. It does not delete the lease (that is
    /// <see cref="StopAsync"/>): a governor disposed without stopping looks like a crashed instance.</summary>
    /// <returns>A task that completes once disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        metrics?.Detach(this);
        // leaseWork is not disposed: a heartbeat still winding down may release it, and it holds no wait handle.
        await ControlDataSource.DisposeAsync();
    }

    private static ConnectionBudgetOptions Validate(ConnectionBudgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Ranges and the cross-field rule (ConnectionBudgetOptions.Validate) alike.
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

        return new ConnectionBudgetOptions
        {
            Enabled = options.Enabled,
            ReservedForOtherClients = options.ReservedForOtherClients,
            HeartbeatInterval = options.HeartbeatInterval,
            LeaseDuration = options.LeaseDuration,
        };
    }

    private static NpgsqlDataSource BuildControlDataSource(string appConnectionString, string instanceName)
    {
        var builder = new NpgsqlConnectionStringBuilder(appConnectionString)
        {
            MaxPoolSize = 1,
            MinPoolSize = 0,
            ApplicationName = instanceName + "-control",
        };
        return new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = ControlPoolName }.Build();
    }

    private async Task WaitForShareAsync(NpgsqlDataSource pool, RequestDeadline? deadline, CancellationToken cancellationToken)
    {
        // The gate does the waiting Npgsql's pool did (the share is never above the pool's size), so it keeps the pool's
        // 'Timeout' as its bound, and a request's deadline when that comes first: no independent bound for requests.
        var wait = ShareWait.Derive(TimeoutOf(pool), deadline?.Remaining);
        if (wait.EndsAtDeadline)
        {
            // No timer of our own: the deadline's token (in cancellationToken) fires at that very instant, so the request
            // is answered by one deadline, not by whichever of two timers wins the race.
            try
            {
                await Gate.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException ex) when (deadline!.Token.IsCancellationRequested)
            {
                var snapshot = Current;
                throw new OperationCanceledException(
                    $"It was waiting for one of the {snapshot.Share} connection(s) of this instance's share of the PostgreSQL " +
                    $"connection budget, all of which stayed in use. {snapshot.Reason} To get more, raise max_connections, lower " +
                    "Widgetify:ConnectionBudget:ReservedForOtherClients or run fewer instances; to let requests wait longer, " +
                    string.Create(CultureInfo.InvariantCulture, $"raise {deadline.Setting} (currently {deadline.Budget.TotalSeconds:0.###} s)."),
                    new TimeoutException("The connection share stayed full until the request's deadline.", ex),
                    deadline.Token);
            }

            return;
        }

        if (wait.Limit == Timeout.InfiniteTimeSpan)
        {
            await Gate.WaitAsync(cancellationToken);
            return;
        }

        var timeout = wait.Limit;
        using var timer = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await Gate.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var snapshot = Current;
            throw new NpgsqlException(
                $"No connection within {timeout.TotalSeconds} s ('Timeout' in the connection string): all {snapshot.Share} " +
                $"connection(s) of this instance's share of the PostgreSQL connection budget stayed in use. {snapshot.Reason} " +
                "To get more, raise max_connections, lower Widgetify:ConnectionBudget:ReservedForOtherClients or run fewer " +
                "instances; to wait longer, raise 'Timeout'.",
                new TimeoutException($"The connection share stayed full for {timeout.TotalSeconds} s."));
        }
    }

    /// <summary>The pool's 'Timeout', parsed from its connection string once per pool rather than on every wait: waits
    /// come in crowds when the share is full.</summary>
    private TimeSpan TimeoutOf(NpgsqlDataSource pool)
    {
        var cached = Volatile.Read(ref poolTimeout);
        if (cached?.Pool != pool)
        {
            cached = new PoolTimeout(pool, TimeSpan.FromSeconds(new NpgsqlConnectionStringBuilder(pool.ConnectionString).Timeout));
            Volatile.Write(ref poolTimeout, cached);
        }

        return cached.Timeout;
    }

    private void RecordHold(long openedAt)
    {
        if (metrics is { HoldDurationEnabled: true })
        {
            metrics.RecordHold(InstanceName, timeProvider.GetElapsedTime(openedAt));
        }
    }

    private sealed record PoolTimeout(NpgsqlDataSource Pool, TimeSpan Timeout);
}
