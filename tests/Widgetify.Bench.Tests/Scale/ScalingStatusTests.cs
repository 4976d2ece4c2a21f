using System.Text.Json;
using Widgetify.Bench.Scale;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ScalingStatusTests
{
    [Fact]
    public void Parse_ServiceBody_ReadsServersDecisionsSaturationAndLeading()
    {
        // Arrange: the shape GET /api/scaling answers with (ScalingViews in Widgetify.Api), extra fields included.
        const string Body = """
            {"autoscaler":{"enabled":true,"minReplicas":0,"maxReplicas":2,"provider":"local","leading":true,"saturation":80.3},
             "servers":[{"name":"primary","role":"primary","host":"127.0.0.1","port":5432,"state":"ready","lagBytes":0,"lagSeconds":0,"readsServed":12,"inFlight":1,"connections":85,"problem":null},
                        {"name":"standby-1","role":"standby","host":"127.0.0.1","port":45629,"state":"lagging","lagBytes":4096,"lagSeconds":2.4,"readsServed":7,"inFlight":0,"connections":40,"problem":"2.4 s behind"}],
             "decisions":[{"at":"2026-12-06T03:33:04.27+00:00","direction":"out","from":0,"to":1,"reason":"saturated","result":"succeeded","message":"added standby-1","completedAt":"2026-12-06T03:33:21.1+00:00","instance":"vm/1","replacement":false}]}
            """;

        // Act
        var status = ScalingStatus.Parse(Body);

        // Assert
        status.Saturation.ShouldBe(80.3);
        status.Leading.ShouldBeTrue();
        status.Servers.Count.ShouldBe(2);
        var standby = status.Standbys.ShouldHaveSingleItem();
        standby.ShouldBe(new ScalingServer("standby-1", "standby", 45629, "lagging", 2.4, 7, "2.4 s behind"));
        var decision = status.Decisions.ShouldHaveSingleItem();
        decision.Direction.ShouldBe("out");
        decision.IsCompleted.ShouldBeTrue();
        decision.CompletedAt.ShouldBe(new DateTimeOffset(2026, 12, 6, 3, 33, 21, 100, TimeSpan.Zero));
    }

    [Fact]
    public void Parse_NoServers_IsAJsonException()
    {
        Should.Throw<JsonException>(() => ScalingStatus.Parse("""{"autoscaler":{"saturation":1}}"""));
    }

    [Fact]
    public void IsSameServer_SameNameOtherPort_IsAnotherServer()
    {
        var before = ScaleSamples.Standby("standby-1", 45629);

        before.IsSameServer(ScaleSamples.Standby("standby-1", 45629, "down")).ShouldBeTrue();
        before.IsSameServer(ScaleSamples.Standby("standby-1", 43709)).ShouldBeFalse();
    }
}
