using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Widgetify.Observability.Notifications;

/// <summary>The resilience pipeline of one webhook target: a timeout per attempt inside a retry with exponential
/// backoff and jitter, which honours a 429's or 503's Retry-After. Built on the injected <see cref="TimeProvider"/>, so
/// tests move its delays by hand.</summary>
internal static class WebhookRetry
{
    /// <summary>What the pipeline tells its retry callback, for the log.</summary>
    internal static readonly ResiliencePropertyKey<string> Notification = new("widgetify.notification");

    public static ResiliencePipeline<HttpResponseMessage> Build(
        WebhookOptions options, TimeProvider timeProvider, Func<double> random, Func<OnRetryArguments<HttpResponseMessage>, ValueTask> onRetry)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider };
        if (options.MaxAttempts > 1)
        {
            var first = options.FirstRetryDelay;
            var max = options.MaxRetryDelay;
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                    Delay(args.AttemptNumber, RetryAfter(args.Outcome, timeProvider), first, max, random())),
                OnRetry = onRetry,
            });
        }

        // Added after the retry, the timeout is inside it: each attempt gets the whole timeout.
        return builder.AddTimeout(options.Timeout).Build();
    }

    /// <summary>Whether an attempt's outcome is worth another: the network failed, the attempt timed out, or the target
    /// answered 5xx or 429. Anything else (a 400 for a malformed alert, a 401 for a wrong token) fails the same way again.</summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        HttpRequestException or TimeoutRejectedException => true,
        TaskCanceledException { InnerException: TimeoutException } => true, // HttpClient.Timeout, shorter than ours
        null => outcome.Result is { } response && IsTransient(response.StatusCode),
        _ => false,
    };

    public static bool IsTransient(HttpStatusCode status) => (int)status >= 500 || status == HttpStatusCode.TooManyRequests;

    /// <summary>The delay before retry number <paramref name="retry"/> (0 for the first): the target's Retry-After if it
    /// sent one, else <paramref name="first"/> doubled per retry; both capped at <paramref name="max"/>. The doubled delay
    /// is jittered to between half and all of itself ("equal jitter"), so instances that failed together do not retry
    /// together, while the backoff still grows. <paramref name="random"/> is uniform in [0, 1).</summary>
    public static TimeSpan Delay(int retry, TimeSpan? retryAfter, TimeSpan first, TimeSpan max, double random)
    {
        if (retryAfter is { } hint)
        {
            return hint < TimeSpan.Zero ? TimeSpan.Zero : hint > max ? max : hint;
        }

        var exponential = Math.Min(first.Ticks * Math.Pow(2, Math.Min(retry, 62)), max.Ticks);
        return TimeSpan.FromTicks((long)(exponential * (0.5 + (0.5 * random))));
    }

    private static TimeSpan? RetryAfter(Outcome<HttpResponseMessage> outcome, TimeProvider timeProvider) =>
        outcome.Result?.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - timeProvider.GetUtcNow(),
            _ => null,
        };
}
