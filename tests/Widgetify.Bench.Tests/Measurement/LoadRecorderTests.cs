using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Tests.Measurement;

public sealed class LoadRecorderTests
{
    [Fact]
    public void Record_DuringWarmup_NotRecorded()
    {
        var recorder = new LoadRecorder(warmupSeconds: 2, recordedSeconds: 3);

        recorder.Record(1.99, Outcome.Success, 1000, statusCode: 200);

        recorder.Merge(0, 3).Total.ShouldBe(0);
        recorder.StatusCounts().ShouldBeEmpty();
    }

    [Fact]
    public void Record_ByDueTime_BucketOfTheSecondItWasDue()
    {
        var recorder = new LoadRecorder(warmupSeconds: 2, recordedSeconds: 3);

        recorder.Record(2.0, Outcome.Success, 1000, statusCode: 200);
        recorder.Record(3.5, Outcome.Shed, 500, retryAfter: true, statusCode: 503);
        recorder.Record(3.9, Outcome.NotSent, 0);
        recorder.Record(4.2, Outcome.Timeout, 5_000_000);

        recorder.Seconds[0].Count(Outcome.Success).ShouldBe(1);
        recorder.Seconds[1].Count(Outcome.Shed).ShouldBe(1);
        recorder.Seconds[1].ShedWithRetryAfter.ShouldBe(1);
        recorder.Seconds[1].Errors.ShouldBe(1);
        recorder.Seconds[1].Total.ShouldBe(2);
        recorder.Seconds[2].Errors.ShouldBe(1);
        recorder.Seconds[2].Success.Count.ShouldBe(0, "only successes go into the latency histogram");
        recorder.StatusCounts().ShouldBe(new Dictionary<int, long> { [200] = 1, [503] = 1 });
    }

    [Theory]
    [InlineData(1.99, -1)]
    [InlineData(2.0, 0)]
    [InlineData(4.99, 2)]
    [InlineData(5.0, -1)]
    [InlineData(7.5, -1)]
    public void RecordedSecondAt_OutsideRecordedSeconds_NotClamped(double elapsed, int expected)
    {
        var recorder = new LoadRecorder(warmupSeconds: 2, recordedSeconds: 3);

        recorder.RecordedSecondAt(elapsed).ShouldBe(expected);
    }

    [Fact]
    public void Merge_Range_SumsOnlyThoseSeconds()
    {
        var recorder = new LoadRecorder(warmupSeconds: 0, recordedSeconds: 4);
        for (var second = 0; second < 4; second++)
        {
            recorder.Record(second + 0.5, Outcome.Success, (second + 1) * 1000);
        }

        recorder.Seconds[1].PeakPgConnections = 40;
        recorder.Seconds[2].PeakPgConnections = 90;

        var merged = recorder.Merge(1, 3);

        merged.Total.ShouldBe(2);
        merged.Success.Max.ShouldBe(3000);
        merged.PeakPgConnections.ShouldBe(90);
    }

    [Fact]
    public void RecordDispatchLag_Warmup_Ignored()
    {
        var recorder = new LoadRecorder(1, 1);

        recorder.RecordDispatchLag(Phase.Warmup, 100);
        recorder.RecordDispatchLag(Phase.Storm, 200);

        recorder.DispatchLag(Phase.Warmup).Count.ShouldBe(0);
        recorder.DispatchLag(Phase.Storm).Max.ShouldBe(200);
    }
}
