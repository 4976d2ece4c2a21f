using Widgetify.Bench.Scale;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ScaleInResultTests
{
    [Fact]
    public void Analyze_ScaledIn_SecondsFromTheLowLoadAndTheLastActionAndTheDrain()
    {
        // Arrange: the surge's scale-out ended at 5 s; the low load began at 10 s; the scale-in was decided at 56 s and
        // its drain and removal ended at 57.5 s.
        var earlier = Decision(0, result: "succeeded", completedAt: 5);
        IReadOnlyList<ScalingSample> samples =
        [
            Sample(9, decisions: [earlier]),
            Sample(56.2, decisions: [Decision(56, "in", 1, 0), earlier]),
            Sample(58, decisions: [Decision(56, "in", 1, 0, "succeeded", 57.5), earlier]),
        ];

        // Act
        var result = ScaleInResult.Analyze(samples, At(10));

        // Assert
        result.IsComplete.ShouldBeTrue();
        result.LastActionEndedAt.ShouldBe(At(5));
        result.SecondsToDecision.ShouldNotBeNull().ShouldBe(46, 1e-6);
        result.SecondsAfterLastAction.ShouldNotBeNull().ShouldBe(51, 1e-6);
        result.DrainSeconds.ShouldNotBeNull().ShouldBe(1.5, 1e-6);
    }

    [Fact]
    public void Analyze_StillPending_NotComplete()
    {
        var result = ScaleInResult.Analyze([Sample(56.2, decisions: [Decision(56, "in", 1, 0)])], At(10));

        result.IsComplete.ShouldBeFalse();
        result.DrainSeconds.ShouldBeNull();
    }

    [Fact]
    public void Analyze_OnlyScaleOuts_NoDecision()
    {
        var result = ScaleInResult.Analyze([Sample(30, decisions: [Decision(20)])], At(10));

        result.Decision.ShouldBeNull();
        result.SecondsToDecision.ShouldBeNull();
    }
}
