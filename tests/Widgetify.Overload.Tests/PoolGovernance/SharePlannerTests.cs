using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

public sealed class SharePlannerTests
{
    private static readonly Guid First = Guid.Parse("00000000-0000-0000-0000-000000000001");
    private static readonly Guid Second = Guid.Parse("00000000-0000-0000-0000-000000000002");
    private static readonly Guid Third = Guid.Parse("00000000-0000-0000-0000-000000000003");

    [Fact]
    public void Plan_Alone_GetsBudgetLessItsOwnConnectionsAndNewcomerSeats()
    {
        // Arrange
        const int budget = 87;

        // Act
        var plan = SharePlanner.Plan(budget, First, 1000, []);

        // Assert: 87 - its control connection and notification listener - 2 seats for a newcomer's own two = 83
        plan.ShouldBe(new SharePlan(Target: 83, Share: 83, Instances: 1));
    }

    [Fact]
    public void Plan_NewcomerWhilePeerHoldsItsWholeShare_GetsZeroAndStaysWithinBudget()
    {
        // Arrange
        PeerLease[] peers = [new(First, 1000, 83)];

        // Act
        var plan = SharePlanner.Plan(87, Second, 1000, peers);

        // Assert: 87 - 2 x 2 own connections - 2 seats = 81, split 41 (First, the lower id) and 40. The peer's 83 + 2 and the
        // newcomer's control connection and listener make exactly 87: the seats are what let it open both.
        plan.Share.ShouldBe(0);
        plan.Target.ShouldBe(40);
        (peers.Sum(p => p.Granted + SharePlanner.OwnConnectionsPerInstance) + plan.Share + SharePlanner.OwnConnectionsPerInstance)
            .ShouldBeLessThanOrEqualTo(87);
    }

    [Fact]
    public void Plan_PeerAboveItsTarget_ShrinksToTargetLeavingRoomForNewcomer()
    {
        // Arrange
        PeerLease[] peers = [new(Second, 1000, 0)];

        // Act
        var plan = SharePlanner.Plan(87, First, 1000, peers);

        // Assert
        plan.ShouldBe(new SharePlan(Target: 41, Share: 41, Instances: 2)); // (87 - 2 x 2 own - 2 seats) = 81, the lower id gets 41
    }

    [Fact]
    public void Plan_PeersConverged_EveryShareIsTheFairTargetAndTheSumKeepsTheNewcomerSeat()
    {
        // Arrange
        const int budget = 20;
        var ids = new[] { First, Second, Third };
        var granted = new Dictionary<Guid, int> { [First] = 0, [Second] = 0, [Third] = 0 };

        // Act: three rounds of renewals, each instance seeing the others' last grants.
        for (var round = 0; round < 3; round++)
        {
            foreach (var id in ids)
            {
                var peers = ids.Where(other => other != id).Select(other => new PeerLease(other, 100, granted[other])).ToArray();
                granted[id] = SharePlanner.Plan(budget, id, 100, peers).Share;
            }
        }

        // Assert: 20 - 3 x 2 own connections (control, listener) - 2 newcomer seats = 12, split 4/4/4.
        granted.Values.Order().ShouldBe([4, 4, 4]);
        granted.Values.Sum(g => g + SharePlanner.OwnConnectionsPerInstance).ShouldBe(budget - SharePlanner.SeatsKeptForNewcomers);
    }

    [Fact]
    public void Plan_BudgetTooSmallForAnyConnection_GivesZero()
    {
        // Act
        var plan = SharePlanner.Plan(4, First, 10, []); // 2 own connections + 2 seats for a newcomer's leave nothing

        // Assert
        plan.Share.ShouldBe(0);
    }
}
