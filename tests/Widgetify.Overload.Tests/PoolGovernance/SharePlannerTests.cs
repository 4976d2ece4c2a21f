using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

public sealed class SharePlannerTests
{
    private static readonly Guid First = Guid.Parse("00000000-0000-0000-0000-000000000001");
    private static readonly Guid Second = Guid.Parse("00000000-0000-0000-0000-000000000002");
    private static readonly Guid Third = Guid.Parse("00000000-0000-0000-0000-000000000003");

    [Fact]
    public void Plan_Alone_GetsBudgetLessControlConnectionAndNewcomerSeat()
    {
        // Arrange
        const int budget = 87;

        // Act
        var plan = SharePlanner.Plan(budget, First, 1000, []);

        // Assert
        plan.ShouldBe(new SharePlan(Target: 85, Share: 85, Instances: 1));
    }

    [Fact]
    public void Plan_NewcomerWhilePeerHoldsItsWholeShare_GetsZeroAndStaysWithinBudget()
    {
        // Arrange
        PeerLease[] peers = [new(First, 1000, 85)];

        // Act
        var plan = SharePlanner.Plan(87, Second, 1000, peers);

        // Assert
        plan.Share.ShouldBe(0);
        plan.Target.ShouldBe(42);
        (peers.Sum(p => p.Granted + 1) + plan.Share + 1).ShouldBeLessThanOrEqualTo(87);
    }

    [Fact]
    public void Plan_PeerAboveItsTarget_ShrinksToTargetLeavingRoomForNewcomer()
    {
        // Arrange
        PeerLease[] peers = [new(Second, 1000, 0)];

        // Act
        var plan = SharePlanner.Plan(87, First, 1000, peers);

        // Assert
        plan.ShouldBe(new SharePlan(Target: 42, Share: 42, Instances: 2));
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

        // Assert: 20 - 3 control connections - 1 newcomer seat = 16, split 6/5/5.
        granted.Values.Order().ShouldBe([5, 5, 6]);
        granted.Values.Sum(g => g + 1).ShouldBe(budget - SharePlanner.SeatsKeptForNewcomers);
    }

    [Fact]
    public void Plan_BudgetTooSmallForAnyConnection_GivesZero()
    {
        // Act
        var plan = SharePlanner.Plan(2, First, 10, []);

        // Assert
        plan.Share.ShouldBe(0);
    }
}
