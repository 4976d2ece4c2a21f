using Widgetify.Bench.Fleet;
using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Tests.Fleet;

public sealed class FleetPhaseResultTests
{
    [Fact]
    public void Classify_RedirectsServed_503WithRetryAfterShed_EverythingElseFailedAndNamed()
    {
        var recorder = new LoadRecorder(warmupSeconds: 0, recordedSeconds: 1);
        recorder.Record(0.1, Outcome.Success, 1000, statusCode: 200);
        recorder.Record(0.1, Outcome.Success, 1000, statusCode: 304);
        recorder.Record(0.2, ResponseClassifier.Classify(303), 1000, statusCode: 303);
        recorder.Record(0.3, Outcome.Shed, 1000, retryAfter: true, statusCode: 503);
        recorder.Record(0.3, Outcome.Shed, 1000, retryAfter: false, statusCode: 503);
        recorder.Record(0.4, ResponseClassifier.Classify(502), 1000, statusCode: 502);
        recorder.Record(0.4, Outcome.Throttled, 1000, retryAfter: true, statusCode: 429);
        recorder.Record(0.5, Outcome.ConnectionError, 1000);
        recorder.Record(0.6, Outcome.NotSent, 0);

        var (served, failed, shed, detail) = FleetPhaseResult.Classify(recorder.Merge(0, 1), recorder.StatusCounts());

        served.ShouldBe(3);
        shed.ShouldBe(1);
        failed.ShouldBe(5);
        detail.ShouldBe("429 x1, 502 x1, 503 without Retry-After x1, connection error x1, not sent x1");
    }
}
