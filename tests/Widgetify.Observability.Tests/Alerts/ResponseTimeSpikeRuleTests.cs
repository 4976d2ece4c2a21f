using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

public sealed class ResponseTimeSpikeRuleTests
{
    private const string Rule = "ResponseTimeSpike";

    private static Func<SignalSnapshot, SignalSnapshot> Taking(double seconds) => s => Healthy(s) with { Latency = Latency(seconds, 100) };

    [Fact]
    public void Evaluate_NoWarmupNoBaselineYetAndP99AboveFloor_FiresAfterSpikeFor()
    {
        // Arrange: no warm-up, so the floor alone judges until a baseline is learned
        var script = new AlertScript(new AlertOptions { SpikeBaselineWarmup = TimeSpan.Zero });

        // Act
        script.Run(6, Taking(0.5));

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Pending, 1), (AlertState.Pending, AlertState.Firing, 4)]);
        var alert = script.Active(Rule).ShouldNotBeNull();
        alert.Severity.ShouldBe(AlertSeverity.Page);
        alert.Values["p99_seconds"].ShouldBe(0.4999, 1e-9);
        alert.Values["threshold_seconds"].ShouldBe(0.25);
        alert.Values.Keys.ShouldNotContain("baseline_seconds");
        alert.Summary.ShouldBe("p99 0.5 s over 10 s against the 0.25 s floor (no baseline learned yet).");
    }

    [Fact]
    public void Evaluate_RestartOneClientsTenColdRequests_DoesNotPage()
    {
        // Arrange: the tester's page after a restart: one client's 10 requests at 0.73 s, nothing learned yet
        var script = new AlertScript();

        // Act
        script.Run(30, s => Healthy(s) with { Requests = 1, Latency = Latency(0.73, 1) });

        // Assert: 10 requests in a window make no p99 (SpikeMinRequests 100)
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_SlowBeforeTheBaselineIsLearned_ReportsButDoesNotFire()
    {
        // Arrange: enough traffic, but the service just started: no normal to call this a spike against
        var script = new AlertScript();

        // Act: 30 s at 0.5 s, under the one-minute warm-up
        script.Run(30, Taking(0.5));

        // Assert
        script.Of(Rule).ShouldBeEmpty();
        var rule = new ResponseTimeSpikeRule(new AlertOptions());
        SignalSnapshot[] slow = [.. Enumerable.Range(1, 10).Select(i => Taking(0.5)(new SignalSnapshot { At = At(i) }))];
        var reading = rule.Read(new SignalSpan(slow, At(10)));
        reading.Holds.ShouldBeFalse();
        reading.Summary.ShouldContain("Not judged yet: the baseline has been learned for 0 s of the 1 m a page needs.");
    }

    [Fact]
    public void Evaluate_NoBaselineYetAndP99JustUnderFloor_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();

        // Act: p99 0.2499 s
        script.Run(30, Taking(0.25));

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_P99AboveThreeTimesLearnedBaseline_FiresWithTheNumbersInTheSummary()
    {
        // Arrange: a baseline of 0.0999 s, so the threshold is 0.2997 s (above the 0.25 s floor)
        var script = new AlertScript();
        script.Run(60, Taking(0.1));

        // Act
        script.Run(12, Taking(0.35));

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Pending, 61), (AlertState.Pending, AlertState.Firing, 64)]);
        var alert = script.Active(Rule).ShouldNotBeNull();
        alert.Values["baseline_seconds"].ShouldBe(0.0999, 1e-9);
        alert.Values["threshold_seconds"].ShouldBe(0.2997, 1e-9);
        alert.Summary.ShouldBe("p99 0.35 s over 10 s is 3.5x the 0.0999 s baseline (threshold 0.3 s: 3x baseline, floor 0.25 s).");
    }

    [Fact]
    public void Evaluate_P99JustUnderThreeTimesBaseline_DoesNotFire()
    {
        // Arrange
        var script = new AlertScript();
        script.Run(60, Taking(0.1));

        // Act: p99 0.2899 s, over the floor but under 3 x 0.0999 s
        script.Run(60, Taking(0.29));

        // Assert
        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_TooFewRequests_NeitherFiresNorLearns()
    {
        // Arrange: 9 requests in the window, under SpikeMinRequests (100); no warm-up, so only the trickle could teach
        var script = new AlertScript(new AlertOptions { SpikeWindow = TimeSpan.FromSeconds(3), SpikeBaselineWarmup = TimeSpan.Zero });

        // Act
        script.Run(30, s => Healthy(s) with { Requests = 3, Latency = Latency(2, 3) });
        script.Run(4, Taking(0.5));

        // Assert: the slow trickle taught nothing, so 0.5 s is judged against the floor alone
        script.Active(Rule).ShouldNotBeNull().Values.Keys.ShouldNotContain("baseline_seconds");
    }

    [Fact]
    public void Evaluate_DuringASpike_BaselineDoesNotLearn()
    {
        // Arrange
        var script = new AlertScript();
        script.Run(60, Taking(0.1));

        // Act: ten minutes at 1 s (two half-lives: had it learned, the baseline would be about 0.78 s), then back
        script.Run(600, Taking(1.0)).Run(25, Taking(0.1));

        // Assert
        var resolved = script.Evaluator.Recent.ShouldHaveSingleItem();
        resolved.Name.ShouldBe(Rule);
        resolved.Values["baseline_seconds"].ShouldBe(0.0999, 1e-9);
        script.Run(1, Taking(0.31)).Active(Rule).ShouldNotBeNull().State.ShouldBe(AlertState.Pending);
    }

    [Fact]
    public void Evaluate_AfterOneHalfLife_BaselineIsHalfWayToTheNewP99()
    {
        // Arrange: twenty half-lives at 0.1 s
        var script = new AlertScript(new AlertOptions { BaselineHalfLife = TimeSpan.FromMinutes(1) });
        script.Run(1200, Taking(0.1));

        // Act: one half-life at 0.2 s (under 3x, so learned), then a spike to read the baseline off the pending alert
        script.Run(60, Taking(0.2)).Run(1, Taking(2.0));

        // Assert: halfway between 0.0999 and 0.1999 (the first seconds of the window read a little under 0.1999)
        script.Active(Rule).ShouldNotBeNull().Values["baseline_seconds"].ShouldBe(0.1499, 0.001);
    }
}
