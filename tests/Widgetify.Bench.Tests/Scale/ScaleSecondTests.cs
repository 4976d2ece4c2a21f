using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;
using Widgetify.Bench.Scale;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ScaleSecondTests
{
    [Fact]
    public void Build_SamplesAndALoad_OneSecondEachWithGapsWhereNothingMeasured()
    {
        // Arrange: samples in seconds 0, 1 and 3 (the last of second 1 wins); a load from 1.5 s for 2 s.
        IReadOnlyList<ScalingSample> samples =
        [
            Sample(0.5, 2, [Primary(10)]),
            Sample(1.2, 3, [Primary(10), Standby("standby-1", 1000, "starting")]),
            Sample(1.5, 4, [Primary(20), Standby("standby-1", 1000, "ready", reads: 5, lag: 0.3)]),
            Sample(3.5, 0.4, [Primary(20), Standby("standby-1", 1000, "lagging", reads: 25, lag: 2.4)]),
        ];
        var recorder = new LoadRecorder(0, 2);
        recorder.Record(0.2, Outcome.Success, 40_000, statusCode: 200);
        recorder.Record(1.2, Outcome.Shed, 1000, retryAfter: true, statusCode: 503);
        var load = new PhaseLoad("surge 1", 100, At(1.5), recorder) { Seconds = 2 };

        // Act
        var series = ScaleSecond.Build(samples, [load], At(0), 4);

        // Assert
        series.Select(s => s.Saturation).ShouldBe([2, 4, null, 0.4]);
        series[1].Ready.ShouldBe(1);
        series[1].Live.ShouldBe(1);
        series[1].PrimaryReads.ShouldBe(10, "10 more reads in the second between the samples");
        series[1].StandbyReads.ShouldBe(5, "a standby new in the sample counts from zero");
        series[3].Ready.ShouldBe(0);
        series[3].Live.ShouldBe(1);
        series[3].MaxLagSeconds.ShouldBe(2.4);
        series[3].StandbyReads.ShouldBe(10, "20 reads over the 2 s since the last sample");
        series[2].Ready.ShouldBeNull();
        series.Select(s => s.Successes).ShouldBe([null, 1, 0, null]);
        series[1].P99Ms.ShouldNotBeNull().ShouldBeInRange(40, 40.5);
        series[2].P99Ms.ShouldBeNull();
    }
}
