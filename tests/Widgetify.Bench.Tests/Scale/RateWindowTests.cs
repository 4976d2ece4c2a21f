using Widgetify.Bench.Scale;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

public sealed class RateWindowTests
{
    [Fact]
    public void Measure_TwoServers_EachOnesReadsPerSecondBetweenTheSamplesAtTheEnds()
    {
        IReadOnlyList<ScalingSample> samples =
        [
            Sample(0.9, servers: [Primary(100), Standby("standby-1", 1000, reads: 0)]),
            Sample(1.1, servers: [Primary(110), Standby("standby-1", 1000, reads: 10)]),
            Sample(5.1, servers: [Primary(130), Standby("standby-1", 1000, reads: 2010), Standby("standby-2", 2000, reads: 7)]),
            Sample(5.3, servers: [Primary(999), Standby("standby-1", 1000, reads: 9999)]),
        ];

        var window = RateWindow.Measure("after", samples, At(1), At(5.2), load: null).ShouldNotBeNull();

        window.From.ShouldBe(At(1.1));
        window.To.ShouldBe(At(5.1));
        window.Servers.Select(s => (s.Server, Math.Round(s.ReadsPerSecond, 3))).ShouldBe([("primary", 5.0), ("standby-1", 500.0)], "standby-2 was not there at the start");
        window.Goodput.ShouldBeNull();
    }

    [Fact]
    public void Measure_LessThanASecondBetweenTheSamples_NoWindow()
    {
        RateWindow.Measure("short", [Sample(1), Sample(1.5)], At(0), At(2), load: null).ShouldBeNull();
    }
}
