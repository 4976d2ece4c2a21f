using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;
using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Tests.Reporting;

public sealed class ResultBuilderTests
{
    [Fact]
    public void Phase_MixedOutcomes_RatesAndShares()
    {
        var recorder = new LoadRecorder(warmupSeconds: 0, recordedSeconds: 4);
        // Storm = seconds 2 and 3: 6 successes, 2 shed (one with Retry-After), 1 timeout, 1 not sent.
        for (var i = 0; i < 6; i++)
        {
            recorder.Record(2.1 + (i * 0.3), Outcome.Success, 1000 * (i + 1), statusCode: 200);
        }

        recorder.Record(2.5, Outcome.Shed, 300, retryAfter: true, statusCode: 503);
        recorder.Record(2.6, Outcome.Shed, 400, retryAfter: false, statusCode: 503);
        recorder.Record(3.1, Outcome.Timeout, 5_000_000);
        recorder.Record(3.2, Outcome.NotSent, 0);
        recorder.Record(0.5, Outcome.Success, 1, statusCode: 200); // baseline, not in the storm

        var storm = ResultBuilder.Phase(recorder, Phase.Storm, fromSecond: 2, seconds: 2, offeredRate: 5);

        storm.Phase.ShouldBe("storm");
        storm.Requests.ShouldBe(10);
        storm.Goodput.ShouldBe(3);
        storm.SentRate.ShouldBe(4.5);
        storm.SuccessPercent.ShouldBe(60);
        storm.ShedPercent.ShouldBe(20);
        storm.ErrorPercent.ShouldBe(20);
        storm.ShedWithRetryAfter.ShouldBe(1);
        storm.Timeouts.ShouldBe(1);
        storm.NotSent.ShouldBe(1);
        storm.Errors.ShouldBe(2);
        storm.MaxMs.ShouldBe(6);
        storm.P50Ms.ShouldBe(3, 0.03);
        storm.ShedP99Ms.ShouldBe(0.4);
    }

    [Fact]
    public void SecondsToRecover_SlowFirstSecondAfterStorm_One()
    {
        var recorder = new LoadRecorder(warmupSeconds: 0, recordedSeconds: 6);
        for (var second = 2; second < 6; second++)
        {
            for (var i = 0; i < 100; i++)
            {
                recorder.Record(second + (i / 100.0), Outcome.Success, second == 2 ? 900_000 : 2_000);
            }
        }

        ResultBuilder.SecondsToRecover(recorder, recoveryStart: 2, baselineP99Ms: 2).ShouldBe(1);
    }

    [Fact]
    public void Series_EverySecond_PhaseAndNullP99WithoutSuccess()
    {
        var recorder = new LoadRecorder(0, 3);
        recorder.Record(0.5, Outcome.Success, 1500);
        recorder.Record(1.5, Outcome.Shed, 100);
        recorder.Seconds[0].PeakPgConnections = 7;

        var series = ResultBuilder.Series(recorder, baselineSeconds: 1, stormSeconds: 1);

        series.Select(s => s.Phase).ShouldBe(["baseline", "storm", "recovery"]);
        series[0].P99Ms.ShouldBe(1.5);
        series[0].PgConnections.ShouldBe(7);
        series[1].P99Ms.ShouldBeNull();
        series[1].Shed.ShouldBe(1);
        series[2].PgConnections.ShouldBeNull();
    }
}
