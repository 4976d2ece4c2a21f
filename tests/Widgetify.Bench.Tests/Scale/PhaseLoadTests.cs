using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;
using Widgetify.Bench.Scale;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

public sealed class PhaseLoadTests
{
    [Fact]
    public void Between_AKillInTheMiddle_CountsTheWholeSecondsThatOverlapIt()
    {
        // Arrange: one 200 in each of seconds 0-4, a timeout due in second 2, a 503 without Retry-After in second 3.
        var recorder = new LoadRecorder(0, 5);
        for (var second = 0; second < 5; second++)
        {
            recorder.Record(second + 0.5, Outcome.Success, 1000, statusCode: 200);
        }

        recorder.Record(2.7, Outcome.Timeout, 5_000_000);
        recorder.Record(3.1, Outcome.Shed, 500, retryAfter: false, statusCode: 503);
        var load = new PhaseLoad("kill", 300, At(100), recorder) { Seconds = 5 };

        // Act
        var window = load.Between(At(102.4), At(103.2));

        // Assert: seconds 2 and 3.
        window.Requests.ShouldBe(4);
        window.Succeeded.ShouldBe(2);
        window.Errors.ShouldBe(1);
        window.Unexpected.ShouldBe(2, "the timeout, and the 503 that did not say when to come back");
        load.Total().Requests.ShouldBe(7);
    }

    [Fact]
    public void SecondsWithErrors_NotSentAtTheOnset_ThoseSecondsAsRanges()
    {
        var recorder = new LoadRecorder(0, 8);
        foreach (var due in new[] { 0.1, 1.5, 2.9, 5.2 })
        {
            recorder.Record(due, Outcome.NotSent, 0);
        }

        recorder.Record(3.5, Outcome.Shed, 500, retryAfter: true, statusCode: 503);
        var load = new PhaseLoad("surge 1", 4000, At(0), recorder) { Seconds = 8 };

        var seconds = load.SecondsWithErrors();

        seconds.ShouldBe([0, 1, 2, 5]);
        PhaseLoad.Ranges(seconds).ShouldBe("0-2, 5");
        PhaseLoad.Ranges([]).ShouldBe("");
    }

    [Fact]
    public void GoodputBetween_OnlyWholeSecondsInside_AndOnlyWhileTheLoadRan()
    {
        var recorder = new LoadRecorder(0, 10);
        for (var second = 0; second < 10; second++)
        {
            for (var i = 0; i <= second; i++)
            {
                recorder.Record(second + 0.1, Outcome.Success, 1000, statusCode: 200);
            }
        }

        var load = new PhaseLoad("surge 1", 2000, At(0), recorder) { Seconds = 6.5 };

        load.GoodputBetween(At(1.5), At(4.2)).ShouldBe((3 + 4) / 2.0, "seconds 2 and 3: 3 and 4 successes");
        load.GoodputBetween(At(4), At(9)).ShouldBe((5 + 6) / 2.0, "the load ran 6.5 s: seconds 4 and 5 only");
        load.GoodputBetween(At(2.2), At(2.9)).ShouldBeNull();
    }
}
