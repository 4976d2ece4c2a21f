using Microsoft.Extensions.Time.Testing;
using Widgetify.Scaling.Leadership;

namespace Widgetify.Scaling.Tests.Leadership;

[Collection(ScalingDatabaseGroup.Name)]
public sealed class LeaderLeaseTests(ScalingDatabase database) : IAsyncLifetime
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider time = new();
    private ScratchDatabase scratch = null!;

    public async Task InitializeAsync() => scratch = await database.CreateScratchAsync();

    public async Task DisposeAsync() => await scratch.DisposeAsync();

    private LeaderLease Lease(string name) => new(scratch.DataSource, Guid.NewGuid(), name, Duration, time);

    [Fact]
    public async Task AcquireOrRenewAsync_NobodyHoldsIt_TakesIt()
    {
        // Arrange
        var lease = Lease("a");

        // Act
        var holder = await lease.AcquireOrRenewAsync(CancellationToken.None);

        // Assert
        holder.IsSelf.ShouldBeTrue();
        holder.Name.ShouldBe("a");
        lease.IsHeld.ShouldBeTrue();
        (await scratch.ScalarAsync<string>("SELECT holder_name FROM widgetify_scaling_leader")).ShouldBe("a");
    }

    [Fact]
    public async Task AcquireOrRenewAsync_AnotherHoldsIt_RefusedAndToldWho()
    {
        // Arrange
        await Lease("a").AcquireOrRenewAsync(CancellationToken.None);
        var b = Lease("b");

        // Act
        var holder = await b.AcquireOrRenewAsync(CancellationToken.None);

        // Assert
        holder.IsSelf.ShouldBeFalse();
        holder.Name.ShouldBe("a");
        b.IsHeld.ShouldBeFalse();
    }

    [Fact]
    public async Task AcquireOrRenewAsync_HolderRenews_ExpiryMovesOnAndTheStartStays()
    {
        // Arrange
        var lease = Lease("a");
        var first = await lease.AcquireOrRenewAsync(CancellationToken.None);

        // Act
        var second = await lease.AcquireOrRenewAsync(CancellationToken.None);

        // Assert
        second.IsSelf.ShouldBeTrue();
        second.Since.ShouldBe(first.Since);
        second.ExpiresAt!.Value.ShouldBeGreaterThan(first.ExpiresAt!.Value);
    }

    [Fact]
    public async Task AcquireOrRenewAsync_HoldersLeaseExpiredOnTheDatabaseClock_TakenOver()
    {
        // Arrange
        var a = Lease("a");
        await a.AcquireOrRenewAsync(CancellationToken.None);
        await ScalingDatabase.ExpireLeaseAsync(scratch);
        var b = Lease("b");

        // Act
        var taken = await b.AcquireOrRenewAsync(CancellationToken.None);
        var refused = await a.AcquireOrRenewAsync(CancellationToken.None);

        // Assert: the old holder learns on its next renewal
        taken.IsSelf.ShouldBeTrue();
        refused.IsSelf.ShouldBeFalse();
        refused.Name.ShouldBe("b");
        a.IsHeld.ShouldBeFalse();
    }

    [Fact]
    public async Task ReleaseAsync_ByTheHolder_AnotherTakesItAtOnce()
    {
        // Arrange
        var a = Lease("a");
        await a.AcquireOrRenewAsync(CancellationToken.None);

        // Act
        var released = await a.ReleaseAsync(CancellationToken.None);
        var holder = await Lease("b").AcquireOrRenewAsync(CancellationToken.None);

        // Assert
        released.ShouldBeTrue();
        a.IsHeld.ShouldBeFalse();
        holder.IsSelf.ShouldBeTrue();
    }

    [Fact]
    public async Task ReleaseAsync_NotTheHolder_LeavesTheHoldersLease()
    {
        // Arrange
        await Lease("a").AcquireOrRenewAsync(CancellationToken.None);

        // Act
        var released = await Lease("b").ReleaseAsync(CancellationToken.None);

        // Assert
        released.ShouldBeFalse();
        (await scratch.ScalarAsync<string>("SELECT holder_name FROM widgetify_scaling_leader")).ShouldBe("a");
    }

    [Fact]
    public async Task IsHeld_NoRenewalForTheLeaseDuration_GivenUpWithoutAskingTheDatabase()
    {
        // Arrange
        var lease = Lease("a");
        await lease.AcquireOrRenewAsync(CancellationToken.None);

        // Act
        time.Advance(Duration - TimeSpan.FromMilliseconds(1));
        var justBefore = lease.IsHeld;
        time.Advance(TimeSpan.FromMilliseconds(1));

        // Assert: it stops leading no later than the database would let another take over
        justBefore.ShouldBeTrue();
        lease.IsHeld.ShouldBeFalse();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AcquireOrRenewAsync_ManyRacing_ExactlyOneLeads(bool expiredHolderFirst)
    {
        // Arrange: racing for an empty table, or for an expired holder's row
        if (expiredHolderFirst)
        {
            await Lease("dead").AcquireOrRenewAsync(CancellationToken.None);
            await ScalingDatabase.ExpireLeaseAsync(scratch);
        }

        var leases = Enumerable.Range(0, 8).Select(i => Lease("racer-" + i)).ToList();

        // Act
        var holders = await Task.WhenAll(leases.Select(l => Task.Run(() => l.AcquireOrRenewAsync(CancellationToken.None))));

        // Assert
        holders.Count(h => h.IsSelf).ShouldBe(1);
        leases.Count(l => l.IsHeld).ShouldBe(1);
        (await scratch.ScalarAsync<long>("SELECT count(*) FROM widgetify_scaling_leader")).ShouldBe(1);
    }
}
