using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Law;

namespace Widgetify.Scaling.Tests.Decisions;

[Collection(ScalingDatabaseGroup.Name)]
public sealed class ScalingDecisionLogTests(ScalingDatabase database)
{
    private static ScalingDecisionRecord Decision(int i) => new()
    {
        At = DateTimeOffset.UnixEpoch.AddSeconds(i),
        Instance = "a",
        Direction = ScalingDirection.Out,
        From = i,
        To = i + 1,
        Reason = "test " + i,
        Result = ScalingResult.Succeeded,
    };

    [Fact]
    public async Task Recent_MoreThanItsCapacity_KeepsTheNewestFirst()
    {
        // Arrange
        await using var scratch = await database.CreateScratchAsync(withTables: false);
        var log = new ScalingDecisionLog(scratch.DataSource);

        // Act
        for (var i = 0; i < ScalingDecisionLog.Capacity + 5; i++)
        {
            log.Add(Decision(i));
        }

        // Assert
        log.Recent.Count.ShouldBe(ScalingDecisionLog.Capacity);
        log.Recent[0].Reason.ShouldBe("test 104");
        log.Recent[^1].Reason.ShouldBe("test 5");
    }

    [Fact]
    public async Task ReadFleetAsync_NoTableYet_FallsBackToThisInstancesOwn()
    {
        // Arrange
        await using var scratch = await database.CreateScratchAsync(withTables: false);
        var log = new ScalingDecisionLog(scratch.DataSource);
        log.Add(Decision(1));

        // Act
        var decisions = await log.ReadFleetAsync(10, CancellationToken.None);

        // Assert
        decisions.ShouldHaveSingleItem().Reason.ShouldBe("test 1");
    }

    [Fact]
    public async Task ReadFleetAsync_StoredDecisions_NewestFirstUpToTheLimit()
    {
        // Arrange
        await using var scratch = await database.CreateScratchAsync();
        var store = new DecisionStore(scratch.DataSource);
        for (var i = 0; i < 5; i++)
        {
            await store.InsertAsync(Decision(i), CancellationToken.None);
        }

        var log = new ScalingDecisionLog(scratch.DataSource);

        // Act
        var decisions = await log.ReadFleetAsync(3, CancellationToken.None);

        // Assert
        decisions.Select(d => d.From).ShouldBe([4, 3, 2]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1_001)]
    public async Task ReadFleetAsync_LimitOutOfRange_Throws(int limit)
    {
        // Arrange
        await using var scratch = await database.CreateScratchAsync(withTables: false);
        var log = new ScalingDecisionLog(scratch.DataSource);

        // Act & Assert
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => log.ReadFleetAsync(limit, CancellationToken.None));
    }
}
