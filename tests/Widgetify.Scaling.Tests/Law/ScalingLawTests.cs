using Widgetify.Scaling.Law;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Tests.Law;

public sealed class ScalingLawTests
{
    private static readonly ScalingOptions Options = new() { MinReplicas = 1, MaxReplicas = 4 };

    private static ScalingDecision Decide(RecordedSeconds recorded, int replicas, LastAction? lastAction = null, ScalingOptions? options = null) =>
        ScalingLaw.Decide(recorded.History, replicas, options ?? Options, lastAction, recorded.Now);

    [Fact]
    public void Decide_SaturatedForTheWholeScaleOutWindow_AddsOneStandby()
    {
        // Arrange
        var recorded = new RecordedSeconds(Options).Add(60, 0.7).Add(10, 1.2);

        // Act
        var decision = Decide(recorded, replicas: 1);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.Out);
        (decision.From, decision.To).ShouldBe((1, 2));
        decision.Reason.ShouldContain("in 10 of the last 10 s");
        decision.Reason.ShouldContain("read pool utilisation 0.96 (target 0.80)");
    }

    [Fact]
    public void Decide_BriefSpike_DoesNothing()
    {
        // Arrange: three saturated seconds are a burst admission control absorbs, not a lack of servers
        var recorded = new RecordedSeconds(Options).Add(60, 0.7).Add(3, 3.0);

        // Act
        var decision = Decide(recorded, replicas: 1);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.None);
    }

    [Fact]
    public void Decide_SpikeOneSecondShortOfTheQuorum_Waits()
    {
        // Arrange: 8 of 10 seconds saturated; the quorum is 9
        var recorded = new RecordedSeconds(Options).Add(60, 0.7).Add(4, 1.5).Add(2, 0.9).Add(4, 1.5);

        // Act & Assert
        Decide(recorded, replicas: 1).Direction.ShouldBe(ScalingDirection.None);
    }

    [Fact]
    public void Decide_OneDipInTenSeconds_StillAddsAStandby()
    {
        // Arrange: sustained saturation with one second under target does not restart the wait
        var recorded = new RecordedSeconds(Options).Add(60, 0.7).Add(5, 1.5).Add(1, 0.9).Add(4, 1.5);

        // Act
        var decision = Decide(recorded, replicas: 1);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.Out);
        decision.Reason.ShouldContain("in 9 of the last 10 s");
    }

    [Fact]
    public void Decide_SaturatedButSecondsMissing_MissingSecondsAreNotSaturation()
    {
        // Arrange: 7 saturated seconds and 3 without data
        var recorded = new RecordedSeconds(Options).Add(60, 0.7).Add(4, 2.0).Missing(3).Add(3, 2.0);

        // Act & Assert
        Decide(recorded, replicas: 1).Direction.ShouldBe(ScalingDirection.None);
    }

    [Fact]
    public void Decide_SaturatedAtMaxReplicas_HoldsAndSaysWhy()
    {
        // Arrange
        var recorded = new RecordedSeconds(Options, liveReplicas: 4).Add(30, 2.0);

        // Act
        var decision = Decide(recorded, replicas: 4);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.None);
        decision.Reason.ShouldContain("at MaxReplicas (4)");
    }

    [Fact]
    public void Decide_WithinCooldown_DoesNothing()
    {
        // Arrange: the last action ended 30 s ago; saturated ever since
        var recorded = new RecordedSeconds(Options, liveReplicas: 2).Add(60, 0.7);
        var lastAction = new LastAction(recorded.Now, Succeeded: true);
        recorded.Add(30, 2.0);

        // Act
        var decision = Decide(recorded, replicas: 2, lastAction);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.None);
        decision.Reason.ShouldContain("cooldown");
    }

    [Fact]
    public void Decide_CooldownOver_AddsAnotherStandby()
    {
        // Arrange
        var recorded = new RecordedSeconds(Options, liveReplicas: 2).Add(60, 0.7);
        var lastAction = new LastAction(recorded.Now, Succeeded: true);
        recorded.Add(60, 2.0);

        // Act
        var decision = Decide(recorded, replicas: 2, lastAction);

        // Assert
        (decision.Direction, decision.To).ShouldBe((ScalingDirection.Out, 3));
    }

    [Fact]
    public void Decide_SecondsMeasuredBeforeTheLastAction_AreNotCounted()
    {
        // Arrange: no cooldown; saturated for a minute, but only 5 s of it on the current fleet
        var options = new ScalingOptions { MinReplicas = 1, MaxReplicas = 4, Cooldown = TimeSpan.Zero };
        var recorded = new RecordedSeconds(options, liveReplicas: 2).Add(55, 2.0);
        var lastAction = new LastAction(recorded.Now, Succeeded: true);
        recorded.Add(5, 2.0);

        // Act & Assert
        Decide(recorded, replicas: 2, lastAction, options).Direction.ShouldBe(ScalingDirection.None);
    }

    [Fact]
    public void Decide_NoSecondMeasuredSinceTheLastAction_Waits()
    {
        // Arrange
        var recorded = new RecordedSeconds(Options, liveReplicas: 0).Add(10, 0.3);
        recorded.Clock.Advance(TimeSpan.FromSeconds(1));
        var lastAction = new LastAction(recorded.Now, Succeeded: true);

        // Act
        var decision = Decide(recorded, replicas: 0, lastAction);

        // Assert: not even a replacement before the fleet after the action has been seen
        decision.Direction.ShouldBe(ScalingDirection.None);
        decision.Reason.ShouldContain("after the last action");
    }

    [Fact]
    public void Decide_QuietForTheWholeScaleInWindow_RemovesOneStandby()
    {
        // Arrange
        var recorded = new RecordedSeconds(Options, liveReplicas: 3).Add(300, 0.3);

        // Act
        var decision = Decide(recorded, replicas: 3);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.In);
        (decision.From, decision.To).ShouldBe((3, 2));
        decision.Reason.ShouldContain("peak 0.30");
        decision.Reason.ShouldContain("on 2 standby(s) the peak would be 0.45");
    }

    [Fact]
    public void Decide_QuietForLessThanTheScaleInWindow_Waits()
    {
        // Arrange: 299 quiet seconds after a busy one
        var recorded = new RecordedSeconds(Options, liveReplicas: 3).Add(1, 0.9).Add(299, 0.3);

        // Act & Assert
        Decide(recorded, replicas: 3).Direction.ShouldBe(ScalingDirection.None);
    }

    [Fact]
    public void Decide_InTheHysteresisBand_DoesNothingForAsLongAsItLasts()
    {
        // Arrange: between the threshold (0.5) and target (1) neither rule applies
        var recorded = new RecordedSeconds(Options, liveReplicas: 3).Add(600, 0.7);

        // Act
        var decision = Decide(recorded, replicas: 3);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.None);
        decision.Reason.ShouldContain("within the band");
    }

    [Fact]
    public void Decide_QuietButTheLoadWouldNotFitOnOneFewer_Holds()
    {
        // Arrange: a high threshold lets 0.6 count as quiet, but on 1 standby instead of 2 the peak would be 1.2
        var options = new ScalingOptions { MinReplicas = 1, MaxReplicas = 4, ScaleInThreshold = 0.8 };
        var recorded = new RecordedSeconds(options, liveReplicas: 2).Add(300, 0.6);

        // Act
        var decision = Decide(recorded, replicas: 2, options: options);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.None);
        decision.Reason.ShouldContain("peak would be 1.20, not below 1");
    }

    [Fact]
    public void Decide_QuietAtMinReplicas_NeverRemovesOne()
    {
        // Arrange
        var recorded = new RecordedSeconds(Options, liveReplicas: 1).Add(900, 0.0);

        // Act & Assert
        Decide(recorded, replicas: 1).Direction.ShouldBe(ScalingDirection.None);
    }

    [Fact]
    public void Decide_QuietButManySecondsMissing_MissingSecondsAreNotLowLoad()
    {
        // Arrange: 5 minutes of which 1 minute has no data (the signals stopped while the service was busy elsewhere)
        var recorded = new RecordedSeconds(Options, liveReplicas: 3).Add(120, 0.1).Missing(60).Add(120, 0.1);

        // Act & Assert
        Decide(recorded, replicas: 3).Direction.ShouldBe(ScalingDirection.None);
    }

    [Fact]
    public void Decide_QuietWithAFewSecondsMissing_StillRemovesOne()
    {
        // Arrange: 290 of 300 seconds measured, above the 90% coverage
        var recorded = new RecordedSeconds(Options, liveReplicas: 3).Add(145, 0.1).Missing(10).Add(145, 0.1);

        // Act & Assert
        Decide(recorded, replicas: 3).Direction.ShouldBe(ScalingDirection.In);
    }

    [Fact]
    public void Decide_NoRecentSignals_DoesNothing()
    {
        // Arrange: saturated, then the source went silent
        var recorded = new RecordedSeconds(Options).Add(30, 2.0).Missing(5);

        // Act
        var decision = Decide(recorded, replicas: 1);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.None);
        decision.Reason.ShouldContain("no read-path signals");
    }

    [Fact]
    public void Decide_NoSignalsAtAll_DoesNothing()
    {
        // Act
        var decision = ScalingLaw.Decide([], 1, Options, null, DateTimeOffset.UnixEpoch);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.None);
    }

    [Fact]
    public void Decide_StandbyDiedBelowMinReplicas_ReplacesAtOnceDespiteTheCooldown()
    {
        // Arrange: a scale-out ended 5 s ago, then a standby died
        var options = new ScalingOptions { MinReplicas = 2, MaxReplicas = 4 };
        var recorded = new RecordedSeconds(options, liveReplicas: 2).Add(10, 0.3);
        var lastAction = new LastAction(recorded.Now, Succeeded: true);
        recorded.LiveReplicas = 1;
        recorded.Add(1, 0.3);

        // Act
        var decision = Decide(recorded, replicas: 1, lastAction, options);

        // Assert
        decision.Direction.ShouldBe(ScalingDirection.Replace);
        (decision.From, decision.To).ShouldBe((1, 2));
        decision.Reason.ShouldContain("1 standby(s) died");
    }

    [Fact]
    public void Decide_TwoStandbysDied_ReplacesBothInOneAction()
    {
        // Arrange
        var options = new ScalingOptions { MinReplicas = 3, MaxReplicas = 5 };
        var recorded = new RecordedSeconds(options, liveReplicas: 1).Add(1, 0.3);

        // Act
        var decision = Decide(recorded, replicas: 1, options: options);

        // Assert
        (decision.Direction, decision.From, decision.To).ShouldBe((ScalingDirection.Replace, 1, 3));
    }

    [Fact]
    public void Decide_BelowMinAfterAFailedAction_WaitsForTheCooldown()
    {
        // Arrange: the last replacement failed 10 s ago; the provider is not run again every second
        var options = new ScalingOptions { MinReplicas = 2, MaxReplicas = 4 };
        var recorded = new RecordedSeconds(options, liveReplicas: 1).Add(5, 0.3);
        var lastAction = new LastAction(recorded.Now, Succeeded: false);
        recorded.Add(10, 0.3);

        // Act
        var waiting = Decide(recorded, replicas: 1, lastAction, options);
        recorded.Add(50, 0.3);
        var retrying = Decide(recorded, replicas: 1, lastAction, options);

        // Assert
        waiting.Direction.ShouldBe(ScalingDirection.None);
        waiting.Reason.ShouldContain("last action failed");
        retrying.Direction.ShouldBe(ScalingDirection.Replace);
    }

    [Fact]
    public void Decide_AboveMaxReplicas_RemovesOneWhateverTheLoad()
    {
        // Arrange: MaxReplicas was lowered from 6 to 4
        var recorded = new RecordedSeconds(Options, liveReplicas: 6).Add(20, 1.5);

        // Act
        var decision = Decide(recorded, replicas: 6);

        // Assert
        (decision.Direction, decision.From, decision.To).ShouldBe((ScalingDirection.In, 6, 5));
        decision.Reason.ShouldContain("above MaxReplicas (4)");
    }

    [Fact]
    public void Decide_LastStandbyQuiet_ItsReadsFitOnThePrimary()
    {
        // Arrange: with MinReplicas 0, the last standby's reads go back to the primary (one server for one)
        var options = new ScalingOptions { MinReplicas = 0, MaxReplicas = 2 };
        var recorded = new RecordedSeconds(options, liveReplicas: 1).Add(300, 0.4);

        // Act
        var decision = Decide(recorded, replicas: 1, options: options);

        // Assert
        (decision.Direction, decision.To).ShouldBe((ScalingDirection.In, 0));
    }

    [Fact]
    public void SaturationOf_SeveralSignals_TheOneClosestToItsTargetDrives()
    {
        // Arrange: pool 0.4/0.8 = 0.5, waits 0.05/0.1 = 0.5, shed 2%/1% = 2, p99 0.3/0.25 = 1.2, CPU 0.35/0.7 = 0.5
        var signals = new ReadPathSignals
        {
            At = DateTimeOffset.UnixEpoch,
            ReadPoolUtilization = 0.4,
            ReadAcquireWaitedRatio = 0.05,
            ReadShedPerSecond = 2,
            ReadAdmittedPerSecond = 98,
            ReadP99Seconds = 0.3,
            CpuUtilization = 0.35,
        };

        // Act
        var saturation = ScalingLaw.SaturationOf(signals, Options);

        // Assert
        saturation.Score.ShouldBe(2.0, tolerance: 1e-9);
        saturation.Describe().ShouldBe("read shed ratio 0.02 (target 0.01)");
    }

    [Fact]
    public void SaturationOf_SlowReads_NamesTheP99InSeconds()
    {
        // Arrange
        var signals = new ReadPathSignals { At = DateTimeOffset.UnixEpoch, ReadPoolUtilization = 0.5, ReadP99Seconds = 0.5 };

        // Act
        var saturation = ScalingLaw.SaturationOf(signals, Options);

        // Assert
        saturation.Score.ShouldBe(2.0, tolerance: 1e-9);
        saturation.Describe().ShouldBe("read p99 0.500 s (target 0.250 s)");
    }

    [Fact]
    public void SaturationOf_UnknownCpuAndNoReads_OnlyTheKnownSignalsCount()
    {
        // Arrange: an idle second on a managed server whose CPU cannot be read
        var signals = new ReadPathSignals { At = DateTimeOffset.UnixEpoch, CpuUtilization = null, ReadP99Seconds = null };

        // Act
        var saturation = ScalingLaw.SaturationOf(signals, Options);

        // Assert
        saturation.Score.ShouldBe(0);
    }
}
