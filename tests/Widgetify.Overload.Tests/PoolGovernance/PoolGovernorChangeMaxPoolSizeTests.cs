using Npgsql;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

/// <summary>The pool review's <c>--apply</c> changing the Max Pool Size of a running governor, against a real PostgreSQL
/// with max_connections 20 and superuser_reserved_connections 3. No test advances the clock: the change must take
/// effect without a heartbeat.</summary>
[Collection(PoolGovernanceDatabase.Name)]
public sealed class PoolGovernorChangeMaxPoolSizeTests(PoolGovernanceCluster cluster) : IAsyncLifetime
{
    // Only bounds how long a broken build hangs: no test waits for real time to pass.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly TimerCountingFakeTimeProvider _time = new(new DateTimeOffset(2024, 2, 15, 8, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync() => cluster.ResetLeasesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ChangeMaxPoolSizeAsync_Lowered1000To5_ShareAndLeaseAreFiveAtOnceAndASixthOpenWaits()
    {
        // Arrange: budget 20 - 3 - 7 = 10; alone, a share of 10 - 2 own connections (control, listener) - 2 seats = 6. The Npgsql pool is built as large as the budget allows.
        var name = UniqueName();
        await using var governor = cluster.Governor(name, 1000, PoolGovernanceCluster.Options(reservedForOtherClients: 7), _time);
        await governor.StartAsync(CancellationToken.None);
        await using var pool = cluster.AppPool(name, maxPoolSize: governor.Current.AppliedMaxPoolSize);
        var before = governor.Current;

        // Act
        var after = await governor.ChangeMaxPoolSizeAsync(5, CancellationToken.None);
        var held = new List<NpgsqlConnection>();
        for (var i = 0; i < 5; i++)
        {
            held.Add(await governor.OpenConnectionAsync(pool, CancellationToken.None));
        }

        using var giveUp = new CancellationTokenSource();
        var sixth = governor.OpenConnectionAsync(pool, giveUp.Token).AsTask();
        var (waiting, pending) = (governor.Gate.Waiting, !sixth.IsCompleted);
        await held[0].DisposeAsync();
        await using var admitted = await sixth.WaitAsync(Bound);

        // Assert
        (before.Share, before.ConfiguredMaxPoolSize).ShouldBe((6, 1000));
        (after.Share, after.ConfiguredMaxPoolSize, after.FollowsBudget, after.LeaseValid).ShouldBe((5, 5, false, true));
        governor.Current.ShouldBeSameAs(after);
        after.Reason.ShouldStartWith("Max Pool Size 5 configured, 5 applied:");
        (await LeaseAsync(governor)).ShouldBe((5, 5), "peers see the smaller lease now, not at the next heartbeat");
        (waiting, pending).ShouldBe((1, true));
        governor.Gate.Held.ShouldBe(5);
        foreach (var connection in held.Skip(1))
        {
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task ChangeMaxPoolSizeAsync_RaisedBackToNull_FollowsTheBudgetAgainAndLetsTheWaiterIn()
    {
        // Arrange: lowered to 5, all 5 held, a sixth waiting.
        var name = UniqueName();
        await using var governor = cluster.Governor(name, 1000, PoolGovernanceCluster.Options(reservedForOtherClients: 7), _time);
        await governor.StartAsync(CancellationToken.None);
        await using var pool = cluster.AppPool(name, maxPoolSize: governor.Current.AppliedMaxPoolSize);
        await governor.ChangeMaxPoolSizeAsync(5, CancellationToken.None);
        var held = new List<NpgsqlConnection>();
        for (var i = 0; i < 5; i++)
        {
            held.Add(await governor.OpenConnectionAsync(pool, CancellationToken.None));
        }

        var sixth = governor.OpenConnectionAsync(pool, CancellationToken.None).AsTask();
        var waitingBefore = governor.Gate.Waiting;

        // Act
        var after = await governor.ChangeMaxPoolSizeAsync(null, CancellationToken.None);
        held.Add(await sixth.WaitAsync(Bound));

        // Assert: the budget of 10 less the control connection and the listener, 10 - 2 = 8, is asked for; the share is
        // 10 - 2 - 2 seats = 6 again, as at start.
        waitingBefore.ShouldBe(1);
        (after.Share, after.ConfiguredMaxPoolSize, after.FollowsBudget).ShouldBe((6, 8, true));
        after.Reason.ShouldStartWith("Max Pool Size not set (Widgetify:Database:MaxPoolSize), so the pool follows the budget, 8 applied:");
        (await LeaseAsync(governor)).ShouldBe((8, 6));
        (governor.Gate.Held, governor.Gate.Waiting).ShouldBe((6, 0));
        foreach (var connection in held)
        {
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task ChangeMaxPoolSizeAsync_LoweredBesideAPeer_ThePeerGrowsIntoWhatWasFreedOnItsNextRenewal()
    {
        // Arrange: budget 20 - 3 - 5 = 12 for two instances: 12 - 2 x 2 own connections (control, listener) - 2 seats = 6,
        // so 3 each.
        var options = PoolGovernanceCluster.Options(reservedForOtherClients: 5);
        await using var a = cluster.Governor(UniqueName(), 1000, options, _time);
        await using var b = cluster.Governor(UniqueName(), 1000, options, _time);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        await a.RenewAsync(CancellationToken.None);
        await b.RenewAsync(CancellationToken.None);
        (a.Current.Share, b.Current.Share).ShouldBe((3, 3));

        // Act: a takes 1 and renews its lease as it does; b renews once.
        await a.ChangeMaxPoolSizeAsync(1, CancellationToken.None);
        await b.RenewAsync(CancellationToken.None);

        // Assert: 6 divided as 1 and 5.
        (a.Current.Share, b.Current.Share).ShouldBe((1, 5));
        (await cluster.LeaseCostAsync()).ShouldBeLessThanOrEqualTo(12);
    }

    [Fact]
    public async Task ChangeMaxPoolSizeAsync_BudgetDisabled_TheGateFollowsTheSizeAtOnce()
    {
        // Arrange: no lease; the gate bounds the pool at the configured 50.
        var name = UniqueName();
        var options = PoolGovernanceCluster.Options(reservedForOtherClients: 7);
        options.Enabled = false;
        await using var governor = cluster.Governor(name, 50, options, _time);
        await governor.StartAsync(CancellationToken.None);
        await using var pool = cluster.AppPool(name, maxPoolSize: 10);

        // Act
        var lowered = await governor.ChangeMaxPoolSizeAsync(2, CancellationToken.None);
        await using var first = await governor.OpenConnectionAsync(pool, CancellationToken.None);
        await using var second = await governor.OpenConnectionAsync(pool, CancellationToken.None);
        using var giveUp = new CancellationTokenSource();
        var third = governor.OpenConnectionAsync(pool, giveUp.Token).AsTask();
        var (waiting, pending) = (governor.Gate.Waiting, !third.IsCompleted);
        await giveUp.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(third);
        var followsAgain = await governor.ChangeMaxPoolSizeAsync(null, CancellationToken.None);

        // Assert
        (lowered.Share, lowered.AppliedMaxPoolSize, lowered.ConfiguredMaxPoolSize, lowered.LeaseValid).ShouldBe((2, 2, 2, false));
        lowered.Reason.ShouldContain("Widgetify:ConnectionBudget:Enabled = false");
        (waiting, pending).ShouldBe((1, true));
        governor.Gate.Held.ShouldBe(2);
        (followsAgain.Share, governor.Gate.Limit).ShouldBe((100, 100), "with neither a size nor a budget, Npgsql's default pool");
        (await cluster.LeaseCountAsync()).ShouldBe(0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task ChangeMaxPoolSizeAsync_SizeBelowOne_ThrowsAndChangesNothing(int size)
    {
        // Arrange
        await using var governor = cluster.Governor(UniqueName(), 1000, PoolGovernanceCluster.Options(reservedForOtherClients: 7), _time);
        await governor.StartAsync(CancellationToken.None);
        var before = governor.Current;

        // Act
        var error = await Should.ThrowAsync<ArgumentOutOfRangeException>(() => governor.ChangeMaxPoolSizeAsync(size, CancellationToken.None));

        // Assert
        error.ParamName.ShouldBe("size");
        governor.Current.ShouldBeSameAs(before);
        (await LeaseAsync(governor)).ShouldBe((1000, 6)); // 10 - 2 own connections - 2 seats
    }

    private static string UniqueName() => "resize-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>What the lease table records for <paramref name="governor"/>: what its peers count.</summary>
    private async Task<(int Wanted, int Granted)> LeaseAsync(PoolGovernor governor) => (
        await cluster.AdminScalarAsync<int>("SELECT wanted FROM widgetify_pool_leases WHERE instance_id = $1", governor.Current.InstanceId),
        await cluster.AdminScalarAsync<int>("SELECT granted FROM widgetify_pool_leases WHERE instance_id = $1", governor.Current.InstanceId));
}
