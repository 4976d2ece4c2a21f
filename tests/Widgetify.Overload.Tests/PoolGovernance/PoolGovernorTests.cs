using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

/// <summary>The governor against a real PostgreSQL with max_connections 20 and superuser_reserved_connections 3, so a
/// budget is 17 minus ReservedForOtherClients. Every governor of a test runs on one fake clock, which also stamps and
/// expires its leases in the table: heartbeats, lease loss and peers' expiry happen when the test advances the clock,
/// never after a real wait.</summary>
[Collection(PoolGovernanceDatabase.Name)]
public sealed class PoolGovernorTests(PoolGovernanceCluster cluster) : IAsyncLifetime
{
    // Only bounds how long a broken build hangs: no test waits for real time to pass.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static readonly DateTimeOffset Start = new(2024, 2, 15, 8, 0, 0, TimeSpan.Zero);

    private readonly TimerCountingFakeTimeProvider _time = new(Start);

    public Task InitializeAsync() => cluster.ResetLeasesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task StartAsync_ConfiguredAboveBudget_AppliesBudgetLessItsOwnConnectionsAndSaysWhy()
    {
        // Arrange
        var logs = new RecordingLoggerFactory();
        await using var governor = Governor(UniqueName(), 1000, PoolGovernanceCluster.Options(reservedForOtherClients: 7), logs);

        // Act
        await governor.StartAsync(CancellationToken.None);

        // Assert: 20 - 3 - 0 - 7 = 10; the pool may use 10 - 2 = 8 beside the control connection and the notification
        // listener, the share keeps two seats free for a newcomer's own two: 8 - 2 = 6.
        var snapshot = governor.Current;
        (snapshot.Budget, snapshot.AppliedMaxPoolSize, snapshot.Share, snapshot.Instances, snapshot.LeaseValid).ShouldBe((10, 8, 6, 1, true));
        snapshot.Reason.ShouldStartWith(
            "Max Pool Size 1000 configured, 8 applied: PostgreSQL allows max_connections 20 - superuser_reserved_connections 3 " +
            "- reserved_connections 0 - 7 kept for other clients (Widgetify:ConnectionBudget:ReservedForOtherClients) = 10, shared by 1 instance(s), " +
            "2 per instance going to its control connection and notification listener.");
        logs.Entries.ShouldContain((LogLevel.Warning, snapshot.Reason));
    }

    [Fact]
    public async Task StartAsync_NoMaxPoolSizeSet_PoolFollowsTheBudgetWithoutAWarning()
    {
        // Arrange: the shipped default, no Max Pool Size anywhere (Npgsql's 100 used to be clamped with a warning).
        var logs = new RecordingLoggerFactory();
        await using var governor = Governor(UniqueName(), null, PoolGovernanceCluster.Options(reservedForOtherClients: 7), logs);

        // Act
        await governor.StartAsync(CancellationToken.None);

        // Assert: the budget of 10 less the control connection and the listener, 10 - 2 = 8, as a clamped 1000 gets, but
        // asked for rather than clamped; the share is 10 - 2 - 2 newcomer seats = 6.
        var snapshot = governor.Current;
        (snapshot.FollowsBudget, snapshot.ConfiguredMaxPoolSize, snapshot.AppliedMaxPoolSize, snapshot.Share).ShouldBe((true, 8, 8, 6));
        snapshot.Reason.ShouldStartWith("Max Pool Size not set (Widgetify:Database:MaxPoolSize), so the pool follows the budget, 8 applied:");
        logs.Entries.ShouldContain((LogLevel.Information, snapshot.Reason));
        logs.Entries.ShouldNotContain(e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task StartAsync_ConfiguredWithinBudget_AppliesConfiguredAndLogsInformation()
    {
        // Arrange
        var logs = new RecordingLoggerFactory();
        await using var governor = Governor(UniqueName(), 3, PoolGovernanceCluster.Options(reservedForOtherClients: 7), logs);

        // Act
        await governor.StartAsync(CancellationToken.None);

        // Assert
        (governor.Current.AppliedMaxPoolSize, governor.Current.Share).ShouldBe((3, 3));
        governor.Current.Reason.ShouldStartWith("Max Pool Size 3 configured, 3 applied:");
        logs.Entries.ShouldContain((LogLevel.Information, governor.Current.Reason));
        logs.Entries.ShouldNotContain(e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task StartAsync_TwoInstancesAtOnce_NeverExceedBudgetAndReachFairSharesWithinTwoRenewals()
    {
        // Arrange: budget 17 - 5 = 12; two instances: 12 - 2 x 2 own connections (control, listener) - 2 newcomer seats
        // = 6, so 3 each.
        const int budget = 12;
        var options = PoolGovernanceCluster.Options(reservedForOtherClients: 5, heartbeatMs: 200, leaseMs: 2000);
        await using var a = Governor(UniqueName(), 100, options);
        await using var b = Governor(UniqueName(), 100, options);
        using var stop = new CancellationTokenSource();
        var maxSnapshotCost = 0;
        var tableSampler = QuerySampler.SampleMaxAsync(
            cluster.AdminOnAppDatabase, "SELECT COALESCE(sum(granted + 2), 0) FROM widgetify_pool_leases", [], stop.Token);
        void Sample(PoolBudgetSnapshot _) => InterlockedMax(ref maxSnapshotCost, SnapshotCost(a, b));
        a.ShareChanged += Sample;
        b.ShareChanged += Sample;

        // Act: both queue on the lease lock, held here, and are let go at the same moment.
        await using (var blocker = new NpgsqlConnection(cluster.AdminOnAppDatabase))
        {
            await blocker.OpenAsync();
            await Execute(blocker, $"SELECT pg_advisory_lock({LeaseTable.AdvisoryLockKey})");
            var starts = Task.WhenAll(a.StartAsync(CancellationToken.None), b.StartAsync(CancellationToken.None));
            await BoundedWait.UntilAsync(
                async () => await cluster.AdminScalarAsync<long>(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = " +
                    "(SELECT oid FROM pg_database WHERE datname = current_database())") == 2,
                () => "fewer than 2 waiting",
                "both instances wait for the lease lock",
                Bound);
            await Execute(blocker, $"SELECT pg_advisory_unlock({LeaseTable.AdvisoryLockKey})");
            await starts;
        }

        // Then two heartbeats' worth of renewals, both instances at once each time. Whichever order the lock serves them
        // in, the first to start shrinks to 3 in its first renewal and the other grows into what that freed by its second.
        for (var beat = 0; beat < 2; beat++)
        {
            _time.Advance(options.HeartbeatInterval);
            await Task.WhenAll(a.RenewAsync(CancellationToken.None), b.RenewAsync(CancellationToken.None));
        }

        await stop.CancelAsync();
        var maxTableCost = await tableSampler;

        // Assert
        (a.Current.Share, a.Current.Target, b.Current.Share, b.Current.Target).ShouldBe((3, 3, 3, 3));
        maxTableCost.ShouldBeLessThanOrEqualTo(budget);
        maxSnapshotCost.ShouldBeLessThanOrEqualTo(budget);
        (await cluster.LeaseCostAsync()).ShouldBe(10); // (3 + 2) + (3 + 2): the 2 newcomer seats stay free
    }

    [Fact]
    public async Task StopAsync_OneOfTwoStops_TheOtherGrowsToTheWholeBudgetOnItsNextRenewal()
    {
        // Arrange: budget 17 - 5 = 12; two instances: (12 - 2 x 2 own connections - 2 newcomer seats) / 2 = 3 each.
        var options = PoolGovernanceCluster.Options(reservedForOtherClients: 5);
        await using var a = Governor(UniqueName(), 100, options);
        await using var b = Governor(UniqueName(), 100, options);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        await a.RenewAsync(CancellationToken.None);
        await b.RenewAsync(CancellationToken.None);
        (a.Current.Share, b.Current.Share).ShouldBe((3, 3));

        // Act
        await b.StopAsync(CancellationToken.None);
        await a.RenewAsync(CancellationToken.None);

        // Assert: alone, 12 - 2 own connections (control, listener) - 2 newcomer seats = 8.
        (a.Current.Share, a.Current.Instances).ShouldBe((8, 1));
        (b.Current.Share, b.Current.LeaseValid).ShouldBe((0, false));
        (await cluster.LeaseCountAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task StopAsync_ControlConnectionTerminatedSinceLastUse_RetriesOnAFreshConnectionAndReleasesTheLease()
    {
        // Arrange: the pooled control connection is killed server-side, as a PostgreSQL restart would.
        var name = UniqueName();
        var logs = new RecordingLoggerFactory();
        await using var governor = Governor(name, 100, PoolGovernanceCluster.Options(reservedForOtherClients: 6), logs);
        await governor.StartAsync(CancellationToken.None);
        var terminated = await cluster.AdminScalarAsync<long>(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", name + "-control");

        // Act
        await governor.StopAsync(CancellationToken.None);

        // Assert
        terminated.ShouldBe(1);
        (await cluster.LeaseCountAsync()).ShouldBe(0);
        logs.Entries.ShouldContain(e => e.Message.Contains("Released the connection-budget lease of " + name));
    }

    [Fact]
    public async Task StopAsync_StopsDeadlineAlreadyPassed_ReturnsAndWarnsThatTheLeaseExpiresOnItsOwn()
    {
        // Arrange: as when the host's shutdown timeout fires while a renewal waits on a frozen server (the stop's wait for
        // the lease's work is what the token ends)
        var logs = new RecordingLoggerFactory();
        var name = UniqueName();
        await using var governor = Governor(name, 100, PoolGovernanceCluster.Options(reservedForOtherClients: 6), logs);
        await governor.StartAsync(CancellationToken.None);

        // Act
        await Should.NotThrowAsync(() => governor.StopAsync(new CancellationToken(canceled: true)));

        // Assert
        logs.Entries.ShouldContain(e => e.Level == LogLevel.Warning
            && e.Message.Contains("Could not release the connection-budget lease of " + name)
            && e.Message.Contains("the stop's deadline passed"));
    }

    [Fact]
    public async Task StopAsync_DatabaseGone_CompletesAndWarnsThatTheLeaseExpiresOnItsOwn()
    {
        // Arrange: a database of its own, dropped under the running governor.
        await using var database = await ScratchDatabase.CreateAsync(cluster.Postgres);
        var logs = new RecordingLoggerFactory();
        var name = UniqueName();
        await using var governor = new PoolGovernor(
            database.ConnectionString, 100, name, PoolGovernanceCluster.Options(reservedForOtherClients: 6), TimeProvider.System, logs);
        await governor.StartAsync(CancellationToken.None);
        await database.DropAsync();

        // Act
        await Should.NotThrowAsync(() => governor.StopAsync(CancellationToken.None));

        // Assert
        (governor.Current.Share, governor.Gate.Limit).ShouldBe((0, 0));
        logs.Entries.ShouldContain(e => e.Level == LogLevel.Warning
            && e.Message.Contains("Could not release the connection-budget lease of " + name)
            && e.Message.Contains("Widgetify:ConnectionBudget:LeaseDuration"));
    }

    [Fact]
    public async Task StopAsync_ServerStopped_LogsOneLineWithTheReasonAndWhenTheLeaseExpiresWithoutAStackTrace()
    {
        // Arrange: a server of its own, stopped under the running governor, as when the service stops during an outage.
        await using var postgres = await TestPostgres.StartAsync(PoolGovernanceCluster.MaxConnections);
        await using (var owner = postgres.CreateOwnerDataSource())
        {
            await PoolGovernor.CreateLeaseTableAsync(owner, CancellationToken.None);
        }

        var logs = new RecordingLoggerFactory();
        var name = UniqueName();
        await using var governor = new PoolGovernor(
            postgres.ConnectionString, 100, name, PoolGovernanceCluster.Options(reservedForOtherClients: 6), TimeProvider.System, logs);
        await governor.StartAsync(CancellationToken.None);
        await postgres.StopAsync();

        // Act
        await governor.StopAsync(CancellationToken.None);

        // Assert
        var line = logs.WithExceptions.Where(e => e.Message.Contains("Could not release the connection-budget lease of " + name)).ShouldHaveSingleItem();
        line.Level.ShouldBe(LogLevel.Warning);
        line.Exception.ShouldBeNull("the database being down is expected: the reason is in the line, a stack trace would bury it");
        line.Message.ShouldContain("the database is unavailable (");
        line.Message.ShouldContain("the lease expires by itself within 00:00:10 (Widgetify:ConnectionBudget:LeaseDuration)");
    }

    [Fact]
    public async Task ChangeMaxPoolSizeAsync_ServerStopped_RenewalFailureIsOneLineWithTheReason()
    {
        // Arrange: the renewal that a size change makes at once meets a stopped server, as every heartbeat of an outage does.
        await using var postgres = await TestPostgres.StartAsync(PoolGovernanceCluster.MaxConnections);
        await using (var owner = postgres.CreateOwnerDataSource())
        {
            await PoolGovernor.CreateLeaseTableAsync(owner, CancellationToken.None);
        }

        var logs = new RecordingLoggerFactory();
        var name = UniqueName();
        await using var governor = new PoolGovernor(
            postgres.ConnectionString, 10, name, PoolGovernanceCluster.Options(reservedForOtherClients: 6), TimeProvider.System, logs);
        await governor.StartAsync(CancellationToken.None);
        await postgres.StopAsync();

        // Act
        await governor.ChangeMaxPoolSizeAsync(5, CancellationToken.None);

        // Assert
        var line = logs.WithExceptions.Where(e => e.Message.StartsWith("Could not renew the connection-budget lease of " + name, StringComparison.Ordinal)).ShouldHaveSingleItem();
        line.Level.ShouldBe(LogLevel.Warning);
        line.Message.ShouldContain(", the database is unavailable (");
        line.Exception.ShouldBeNull("the database being down is expected: the reason is in the line, a stack trace would bury it");
    }

    [Fact]
    public async Task RunHeartbeatsAsync_PeerDiesWithoutStopping_ItsLeaseCountsUntilItExpiresAndTheSurvivorGrowsOnTheNextBeat()
    {
        // Arrange: both leased at 08:00:00 for 1 s; budget 17 - 5 = 12.
        var options = PoolGovernanceCluster.Options(reservedForOtherClients: 5, heartbeatMs: 200, leaseMs: 1000);
        var logs = new RecordingLoggerFactory();
        await using var survivor = Governor(UniqueName(), 100, options, logs);
        var doomed = Governor(UniqueName(), 100, options);
        await survivor.StartAsync(CancellationToken.None);
        await doomed.StartAsync(CancellationToken.None);
        await survivor.RenewAsync(CancellationToken.None);
        survivor.Current.Share.ShouldBe(3); // (12 - 2 x 2 own connections - 2 seats) / 2
        var grown = ShareChangesTo(survivor, 8); // alone: 12 - 2 own connections - 2 seats
        using var stop = new CancellationTokenSource();

        // Act: disposing without StopAsync closes its connection but leaves its lease, as a crash would. At 08:00:01,
        // its expiry instant, it still counts; the survivor's next beat, at 08:00:01.2, finds it expired.
        await doomed.DisposeAsync();
        _time.Advance(options.LeaseDuration);
        await survivor.RenewAsync(CancellationToken.None);
        var shareAtExpiry = survivor.Current.Share;
        var heartbeats = survivor.RunHeartbeatsAsync(stop.Token);
        _time.Advance(options.HeartbeatInterval);
        var afterBeat = await grown.WaitAsync(Bound);
        await stop.CancelAsync();
        await heartbeats;

        // Assert
        shareAtExpiry.ShouldBe(3);
        (afterBeat.Instances, afterBeat.LastRenewedAt).ShouldBe((1, Start + options.LeaseDuration + options.HeartbeatInterval));
        (await cluster.LeaseCountAsync()).ShouldBe(1);
        logs.Entries.ShouldContain(e => e.Message.StartsWith("Removed 1 expired connection-budget lease(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunHeartbeatsAsync_NoRenewalForLeaseDuration_ShareIsZeroFromThenUntilARenewalSucceeds()
    {
        // Arrange: leased at 08:00:00 for 1 s. A session holding the lease lock makes every renewal wait, as a partition
        // from the database would.
        var options = PoolGovernanceCluster.Options(reservedForOtherClients: 6, heartbeatMs: 200, leaseMs: 1000);
        await using var governor = Governor(UniqueName(), 100, options);
        await governor.StartAsync(CancellationToken.None);
        await using var blocker = new NpgsqlConnection(cluster.AdminOnAppDatabase);
        await blocker.OpenAsync();
        await Execute(blocker, $"SELECT pg_advisory_lock({LeaseTable.AdvisoryLockKey})");
        var lost = ShareChangesTo(governor, 0);
        var regained = ShareChangesTo(governor, 7); // 17 - 6 = 11, less 2 own connections and 2 newcomer seats
        using var stop = new CancellationTokenSource();
        var heartbeats = governor.RunHeartbeatsAsync(stop.Token);

        // Act: the beat at 08:00:00.2 waits on the lock; its attempt may last until the lease runs out, at 08:00:01.
        _time.Advance(options.HeartbeatInterval);
        await UntilOneTimerArmedAsync("the beat's renewal waits on the lock, bounded by its attempt's timeout alone");
        _time.Advance(options.LeaseDuration - options.HeartbeatInterval - TimeSpan.FromMilliseconds(1));
        var validJustBefore = governor.Current.LeaseValid;
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var lostSnapshot = await lost.WaitAsync(Bound);

        // Act: the partition ends; the next beat, at 08:00:01.2, renews.
        await Execute(blocker, $"SELECT pg_advisory_unlock({LeaseTable.AdvisoryLockKey})");
        await UntilOneTimerArmedAsync("the loop waits for its next beat (the spent attempt's timeout is not armed)");
        _time.Advance(options.HeartbeatInterval);
        var regainedSnapshot = await regained.WaitAsync(Bound);
        await stop.CancelAsync();
        await heartbeats;

        // Assert
        validJustBefore.ShouldBeTrue();
        lostSnapshot.LeaseValid.ShouldBeFalse();
        lostSnapshot.Reason.ShouldContain("Widgetify:ConnectionBudget:LeaseDuration");
        (regainedSnapshot.LeaseValid, regainedSnapshot.LastRenewedAt).ShouldBe((true, Start + options.LeaseDuration + options.HeartbeatInterval));
        governor.Gate.Limit.ShouldBe(7);
    }

    [Fact]
    public async Task OpenConnectionAsync_FiftyConcurrentCallers_NeverHoldMoreThanTheShare()
    {
        // Arrange: the pool itself would allow 15; only the share of 3 may keep them to 3.
        var name = UniqueName();
        await using var governor = Governor(name, 3, PoolGovernanceCluster.Options(reservedForOtherClients: 5));
        await governor.StartAsync(CancellationToken.None);
        await using var pool = cluster.AppPool(name, maxPoolSize: 15);
        var share = governor.Current.Share;
        var inUse = 0;
        var maxInUse = 0;
        using var done = new CancellationTokenSource();
        var sampler = QuerySampler.SampleMaxAsync(
            cluster.AdminOnAppDatabase, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", [name], done.Token);

        // Act
        await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            await using var connection = await governor.OpenConnectionAsync(pool, CancellationToken.None);
            var now = Interlocked.Increment(ref inUse);
            InterlockedMax(ref maxInUse, now);
            await Execute(connection, "SELECT pg_sleep(0.01)");
            Interlocked.Decrement(ref inUse);
        })).WaitAsync(Bound);
        await done.CancelAsync();
        var maxBackends = await sampler;

        // Assert
        share.ShouldBe(3);
        maxInUse.ShouldBeInRange(1, share);
        maxBackends.ShouldBeInRange(1, share);
        (governor.Gate.Held, governor.Gate.Waiting).ShouldBe((0, 0));
    }

    [Fact]
    public async Task OpenConnectionAsync_ShareLoweredBelowHeld_WaitsUntilHoldersDropBelowTheNewShare()
    {
        // Arrange: budget 17 - 5 = 12; alone with a share of 12 - 2 own connections - 2 seats = 8, holding 5.
        var name = UniqueName();
        var options = PoolGovernanceCluster.Options(reservedForOtherClients: 5);
        await using var governor = Governor(name, 100, options);
        await using var peer = Governor(UniqueName(), 100, options);
        await governor.StartAsync(CancellationToken.None);
        await using var pool = cluster.AppPool(name, maxPoolSize: 15);
        var held = new List<NpgsqlConnection>();
        for (var i = 0; i < 5; i++)
        {
            held.Add(await governor.OpenConnectionAsync(pool, CancellationToken.None));
        }

        // Act: a peer arrives, the share drops to (12 - 2 x 2 - 2) / 2 = 3, the table keeps counting the 5 held.
        await peer.StartAsync(CancellationToken.None);
        await governor.RenewAsync(CancellationToken.None);
        var recorded = await cluster.AdminScalarAsync<int>("SELECT granted FROM widgetify_pool_leases WHERE instance_id = $1", governor.Current.InstanceId);
        await peer.RenewAsync(CancellationToken.None);
        var pending = governor.OpenConnectionAsync(pool, CancellationToken.None).AsTask();
        await held[0].DisposeAsync();
        await held[1].DisposeAsync();
        var waitingAtThree = governor.Gate.Waiting;
        await held[2].DisposeAsync();
        await using var admitted = await pending.WaitAsync(Bound);

        // Assert
        (governor.Current.Share, recorded).ShouldBe((3, 5));
        peer.Current.Share.ShouldBe(1); // 12 - 2 seats - (5 + 2) - 2: it may not take what is still held
        waitingAtThree.ShouldBe(1);
        governor.Gate.Held.ShouldBe(3);
        foreach (var connection in held.Skip(3))
        {
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task OpenConnectionAsync_ShareFullForThePoolTimeout_ThrowsNamingTheSettings()
    {
        // Arrange
        var name = UniqueName();
        await using var governor = Governor(name, 2, PoolGovernanceCluster.Options(reservedForOtherClients: 5));
        await governor.StartAsync(CancellationToken.None);
        await using var pool = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cluster.AppConnectionString)
        {
            ApplicationName = name,
            MaxPoolSize = 10,
            Timeout = 1,
        });
        await using var first = await governor.OpenConnectionAsync(pool, CancellationToken.None);
        await using var second = await governor.OpenConnectionAsync(pool, CancellationToken.None);

        // Act: the third waits at the gate for the pool's 'Timeout', on the fake clock.
        var third = governor.OpenConnectionAsync(pool, CancellationToken.None).AsTask();
        var waiting = governor.Gate.Waiting;
        _time.Advance(TimeSpan.FromMilliseconds(999));
        var pendingJustBefore = !third.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var error = await Should.ThrowAsync<NpgsqlException>(third);

        // Assert
        (waiting, pendingJustBefore).ShouldBe((1, true));
        error.InnerException.ShouldBeOfType<TimeoutException>();
        error.Message.ShouldContain("'Timeout'");
        error.Message.ShouldContain("Widgetify:ConnectionBudget:ReservedForOtherClients");
        (governor.Gate.Held, governor.Gate.Waiting).ShouldBe((2, 0));
    }

    [Fact]
    public async Task StartAsync_Disabled_TakesNoLeaseAndAppliesTheConfiguredSize()
    {
        // Arrange: a database of its own, to see that no table appears in it.
        await using var database = await ScratchDatabase.CreateAsync(cluster.Postgres);
        var name = UniqueName();
        var options = PoolGovernanceCluster.Options(reservedForOtherClients: 10);
        options.Enabled = false;
        await using (var governor = new PoolGovernor(database.ConnectionString, 50, name, options, TimeProvider.System, NullLoggerFactory.Instance))
        {
            // Act
            await governor.StartAsync(CancellationToken.None);
            await governor.RunHeartbeatsAsync(CancellationToken.None);
            var controlBackends = await cluster.BackendCountAsync(name + "-control");
            await governor.StopAsync(CancellationToken.None);

            // Assert
            (governor.Current.Share, governor.Current.AppliedMaxPoolSize, governor.Current.LeaseValid).ShouldBe((50, 50, false));
            governor.Current.Reason.ShouldContain("Widgetify:ConnectionBudget:Enabled = false");
            controlBackends.ShouldBe(0);
        }

        (await database.ScalarAsync<bool>("SELECT to_regclass('widgetify_pool_leases') IS NULL")).ShouldBeTrue();
    }

    private static string UniqueName() => "gov-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Completes with the first snapshot whose share is <paramref name="share"/>. ShareChanged is raised on the
    /// thread that renewed, so a test learns of a heartbeat's effect without polling for it.</summary>
    private static Task<PoolBudgetSnapshot> ShareChangesTo(PoolGovernor governor, int share)
    {
        var reached = new TaskCompletionSource<PoolBudgetSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        governor.ShareChanged += snapshot =>
        {
            if (snapshot.Share == share)
            {
                reached.TrySetResult(snapshot);
            }
        };
        return reached.Task;
    }

    private PoolGovernor Governor(string name, int? configuredMaxPoolSize, ConnectionBudgetOptions options, ILoggerFactory? logs = null) =>
        cluster.Governor(name, configuredMaxPoolSize, options, _time, logs);

    /// <summary>Until the heartbeat loop, resumed on another thread by an advance, has armed its next timer: the clock may
    /// only move on once it has, or the advance would pass a timer not yet armed. Nothing here waits for time to pass.</summary>
    private Task UntilOneTimerArmedAsync(string because) =>
        BoundedWait.UntilAsync(() => _time.ArmedTimers == 1, () => $"{_time.ArmedTimers} timer(s) armed", because, Bound);

    /// <summary>Σ(share + 2: the control connection and the listener) over both snapshots, read a, b, a until a did not change in between: each snapshot is
    /// read alone, and a pair read across a concurrent shrink-then-grow could add a stale value to a fresh one.</summary>
    private static int SnapshotCost(PoolGovernor a, PoolGovernor b)
    {
        while (true)
        {
            var first = a.Current;
            var second = b.Current;
            if (ReferenceEquals(first, a.Current))
            {
                return first.Share + 2 + second.Share + 2;
            }
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
