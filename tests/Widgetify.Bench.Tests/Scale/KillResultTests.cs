using Widgetify.Bench.Scale;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

public sealed class KillResultTests
{
    [Fact]
    public void Analyze_ShownDown_SecondsFromTheKill()
    {
        var standby = Standby("standby-1", 1000, reads: 50);
        IReadOnlyList<ScalingSample> samples =
        [
            Sample(9.9, servers: [Primary(), standby]),
            Sample(10.25, servers: [Primary(), standby]),
            Sample(10.6, servers: [Primary(), standby with { State = "down" }]),
        ];

        var result = KillResult.Analyze(samples, standby, At(10));

        result.SecondsToDown.ShouldNotBeNull().ShouldBe(0.6, 1e-6);
        result.Replacement.ShouldBeNull();
    }

    [Fact]
    public void Analyze_NoLongerListed_CountsAsDown()
    {
        var standby = Standby("standby-1", 1000);

        var result = KillResult.Analyze([Sample(10.5, servers: [Primary(), standby]), Sample(11, servers: [Primary()])], standby, At(10));

        result.DownAt.ShouldBe(At(11));
    }

    [Fact]
    public void Analyze_ReplacedAfterTheKill_GivesTheReplacementAsLastSeen()
    {
        var standby = Standby("standby-1", 1000);
        IReadOnlyList<ScalingSample> samples =
        [
            Sample(11, servers: [Primary(), standby with { State = "down" }], decisions: [Decision(10.8, replacement: true)]),
            Sample(13, servers: [Primary()], decisions: [Decision(10.8, result: "succeeded", completedAt: 12.5, replacement: true)]),
        ];

        var result = KillResult.Analyze(samples, standby, At(10));

        result.Replacement.ShouldNotBeNull().Result.ShouldBe("succeeded");
    }

    [Fact]
    public void Analyze_AStandbyOfTheSameNameOnAnotherPortIsUp_StillDown()
    {
        var killed = Standby("standby-1", 1000);

        var result = KillResult.Analyze([Sample(12, servers: [Primary(), Standby("standby-1", 2000)])], killed, At(10));

        result.SecondsToDown.ShouldNotBeNull().ShouldBe(2, 1e-6);
    }
}
