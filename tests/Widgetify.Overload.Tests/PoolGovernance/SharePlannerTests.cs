using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

public sealed class SharePlannerTests
{
    private static readonly Guid First = Guid.Parse("00000000-0000-0000-0000-000000000001");
    private static readonly Guid Second = Guid.Parse("00000000-0000-0000-0000-000000000002");
    private static readonly Guid Third = Guid.Parse("00000000-0000-0000-0000-000000000003");

    [Fact]
    public void Plan_Alone_GetsBudgetLessItsOwnConnectionsAndNewcomerSeat()
    {
        // Arrange
        const int budget = 87;

        // Act
        var plan = SharePlanner.Plan(budget, First, 1000, []);

        // Assert: 87 - its control connection and notification listener - 1 newcomer seat
        plan.ShouldBe(new SharePlan(Target: 84, Share: 84, Instances: 1));
    }

    [Fact]
    public void Plan_NewcomerWhilePeerHoldsItsWholeShare_GetsZeroAndStaysWithinBudget()
    {
        // Arrange
        PeerLease[] peers = [new(First, 1000, 84)];

        // Act
        var plan = SharePlanner.Plan(87, Second, 1000, peers);

        // Assert
        plan.Share.ShouldBe(0);
        plan.Target.ShouldBe(41); // (87 - 2 x 2 own connections - 1 seat) / 2
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
        plan.ShouldBe(new SharePlan(Target: 41, Share: 41, Instances: 2));
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

        // Assert: 20 - 3 x 2 own connections (control, listener) - 1 newcomer seat = 13, split 5/4/4.
        granted.Values.Order().ShouldBe([4, 4, 5]);
        granted.Values.Sum(g => g + SharePlanner.OwnConnectionsPerInstance).ShouldBe(budget - SharePlanner.SeatsKeptForNewcomers);
    }

    [Fact]
    public void Plan_BudgetTooSmallForAnyConnection_GivesZero()
    {
        // Act
        var plan = SharePlanner.Plan(3, First, 10, []); // 2 own connections + the newcomer seat leave nothing

        // Assert
        plan.Share.ShouldBe(0);
    }
}
