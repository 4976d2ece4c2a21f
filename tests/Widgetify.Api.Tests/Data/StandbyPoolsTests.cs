using Widgetify.Api.Data;
using Widgetify.Overload.Routing;
using Widgetify.PoolReview.History;

namespace Widgetify.Api.Tests.Data;

public sealed class StandbyPoolsTests
{
    [Fact]
    public void From_Standbys_CountsInUseWithoutTheReadsWaitingAndKeepsTheServedCounter()
    {
        // Arrange: 10 reads in flight on standby-1, 4 of them waiting for one of its 6 connections this instance may use.
        ReadServerStatus[] standbys =
        [
            new("standby-1", "standby", "127.0.0.1", 5433, ReadServerState.Ready, ReplicationLag.None, 1200, 10, 6, null) { Waiting = 4 },
            new("standby-2", "standby", "127.0.0.1", 5434, ReadServerState.Down, ReplicationLag.None, 7, 0, 0, "refused") { Waiting = 0 },
        ];

        // Act
        var pools = StandbyPools.From(standbys);

        // Assert
        pools.ShouldBe([new ServerPoolGauge("standby-1", 6, 4, 6, 1200), new ServerPoolGauge("standby-2", 0, 0, 0, 7)]);
    }
}
