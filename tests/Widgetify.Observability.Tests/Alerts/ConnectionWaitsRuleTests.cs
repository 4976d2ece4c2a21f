using Widgetify.Observability.Alerts;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

public sealed class ConnectionWaitsRuleTests
{
    private const string Rule = "ConnectionWaits";

    [Fact]
    public void Evaluate_PendingOpensEverySecond_FiresOnTheFifthSecond()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(7, s => Healthy(s) with { PoolPending = 2 });

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 5)]);
        script.Active(Rule).ShouldNotBeNull().Summary.ShouldBe("Opens waited for a connection in every second of the last 5 s.");
    }

    [Fact]
    public void Evaluate_PendingInFourSecondsOfFive_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(30, s => Healthy(s) with { PoolPending = (s.At - T0).TotalSeconds % 5 == 0 ? 0 : 2 });

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_AcquireWaitP99AboveThreshold_FiresAtOnce()
    {
        // Arrange
        var script = new AlertScript();

        // Act: p99 0.1499 s
        script.Run(3, s => Healthy(s) with { AcquireWait = Latency(0.15, 50) });

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 1)]);
        script.Active(Rule).ShouldNotBeNull().Values["acquire_wait_p99_seconds"].ShouldBe(0.1499, 1e-9);
    }

    [Fact]
    public void Evaluate_OneSlowOpenOf22_DoesNotFire()
    {
        // Arrange: after a restart one open waited 0.15 s (a handshake), 21 took 10 ms: the p99 of 22 is the slowest.
        var script = new AlertScript();

        // Act
        script.Run(1, s => Healthy(s) with { AcquireWait = Latency(0.15, 1).Add(Latency(0.01, 21)) });
        script.Run(10, Healthy);

        // Assert: 1 of 22 (4.5%) is under AcquireWaitMinShare (10%): a cold start, not a shortage.
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_ATenthOfOpensSlow_Fires()
    {
        // Arrange
        var script = new AlertScript();

        // Act: 3 of 30 opens waited 0.15 s.
        script.Run(1, s => Healthy(s) with { AcquireWait = Latency(0.15, 3).Add(Latency(0.01, 27)) });

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 1)]);
        script.Active(Rule).ShouldNotBeNull().Summary.ShouldContain("3 of 30 opens waited longer");
    }

    [Fact]
    public void Evaluate_SlowOpensFewerThanTheMinimum_DoesNotFire()
    {
        // Arrange: a service that just started opens its first physical connections, 0.15 s each.
        var script = new AlertScript();

        // Act: 19 slow opens in 10 s (the minimum is 20).
        script.Run(1, s => Healthy(s) with { AcquireWait = Latency(0.15, 19) });
        script.Run(10, Healthy);

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_AcquireWaitP99JustUnderThreshold_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();

        // Act: p99 0.0999 s
        script.Run(30, s => Healthy(s) with { AcquireWait = Latency(0.1, 50) });

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_OnePoolTimeout_FiresAndResolvesOnceOutOfTheWindow()
    {
        // Arrange
        var script = new AlertScript();

        // Act: a timeout in second 5, in the 10 s window until second 14
        script.Run(4, Healthy).Run(1, s => Healthy(s) with { PoolTimeouts = 1 }).Run(25, Healthy);

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 5), (AlertState.Firing, AlertState.Resolved, 25)]);
    }
}
