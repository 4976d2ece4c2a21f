using Widgetify.Bench.Load;

namespace Widgetify.Bench.Tests.Load;

public sealed class ResponseClassifierTests
{
    [Theory]
    [InlineData(200, Outcome.Success)]
    [InlineData(201, Outcome.Success)]
    [InlineData(204, Outcome.Success)]
    [InlineData(304, Outcome.Success)]
    [InlineData(503, Outcome.Shed)]
    [InlineData(500, Outcome.ErrorStatus)]
    [InlineData(502, Outcome.ErrorStatus)]
    [InlineData(429, Outcome.Throttled)]
    [InlineData(404, Outcome.ErrorStatus)]
    [InlineData(302, Outcome.ErrorStatus)]
    public void Classify_Status_Outcome(int status, object expected)
    {
        ResponseClassifier.Classify(status).ShouldBe((Outcome)expected);
    }

    [Theory]
    [InlineData(Outcome.Success, false)]
    [InlineData(Outcome.Shed, false)]
    [InlineData(Outcome.ErrorStatus, true)]
    [InlineData(Outcome.Timeout, true)]
    [InlineData(Outcome.ConnectionError, true)]
    [InlineData(Outcome.NotSent, true)]
    [InlineData(Outcome.Throttled, false)]
    public void IsError_Outcome_OnlyNeitherSuccessShedNorThrottled(object outcome, bool expected)
    {
        ResponseClassifier.IsError((Outcome)outcome).ShouldBe(expected);
    }
}
