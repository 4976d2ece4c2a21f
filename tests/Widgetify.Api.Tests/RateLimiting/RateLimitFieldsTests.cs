using Widgetify.Api.RateLimiting;

namespace Widgetify.Api.Tests.RateLimiting;

public sealed class RateLimitFieldsTests
{
    [Theory]
    [InlineData(100, 200, "\"writes\";q=200;w=2")]
    [InlineData(100, 150, "\"writes\";q=150;w=2")]
    [InlineData(1000, 10, "\"writes\";q=10;w=1")]
    public void Policy_TokenBucket_IsBurstPerRefillTime(int rate, int burst, string expected) =>
        RateLimitFields.Policy(new WriteLimit(rate, burst)).ShouldBe(expected);

    [Fact]
    public void State_RoundsTheResetUp() =>
        RateLimitFields.State(7, TimeSpan.FromMilliseconds(1001)).ShouldBe("\"writes\";r=7;t=2");
}
