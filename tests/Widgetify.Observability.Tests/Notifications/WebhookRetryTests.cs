using System.Net;
using Polly;
using Polly.Timeout;
using Widgetify.Observability.Notifications;

namespace Widgetify.Observability.Tests.Notifications;

public sealed class WebhookRetryTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(3, 8)]
    [InlineData(4, 16)]
    [InlineData(5, 30)]
    [InlineData(40, 30)]
    public void Delay_NthRetry_BetweenHalfAndAllOfTheCappedDoubling(int retry, double fullSeconds)
    {
        // Act
        var least = WebhookRetry.Delay(retry, null, First, Max, random: 0);
        var most = WebhookRetry.Delay(retry, null, First, Max, random: 0.999999);

        // Assert
        least.ShouldBe(TimeSpan.FromSeconds(fullSeconds / 2));
        most.ShouldBeInRange(TimeSpan.FromSeconds(fullSeconds * 0.9999), TimeSpan.FromSeconds(fullSeconds));
    }

    [Fact]
    public void Delay_RetryAfter_HonouredExactlyUpToTheCap()
    {
        // Act & Assert
        WebhookRetry.Delay(0, TimeSpan.FromSeconds(7), First, Max, 0.5).ShouldBe(TimeSpan.FromSeconds(7));
        WebhookRetry.Delay(0, TimeSpan.FromMinutes(5), First, Max, 0.5).ShouldBe(Max);
        WebhookRetry.Delay(0, TimeSpan.FromSeconds(-3), First, Max, 0.5).ShouldBe(TimeSpan.Zero);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.BadGateway, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.Unauthorized, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    public void IsTransient_Status_RetriesServerErrorsAndTooManyRequestsOnly(HttpStatusCode status, bool expected)
    {
        // Act & Assert
        WebhookRetry.IsTransient(status).ShouldBe(expected);
    }

    [Fact]
    public void IsTransient_NetworkErrorAndTimeout_Retried()
    {
        // Act & Assert
        WebhookRetry.IsTransient(Outcome.FromException<HttpResponseMessage>(new HttpRequestException("refused"))).ShouldBeTrue();
        WebhookRetry.IsTransient(Outcome.FromException<HttpResponseMessage>(new TimeoutRejectedException())).ShouldBeTrue();
        WebhookRetry.IsTransient(Outcome.FromException<HttpResponseMessage>(new InvalidOperationException())).ShouldBeFalse();
    }
}
