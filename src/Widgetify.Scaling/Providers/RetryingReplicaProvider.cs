using Polly;
using Polly.Retry;

namespace Widgetify.Scaling.Providers;

/// <summary>Runs an action on the configured provider, retrying a failed attempt with exponential backoff and jitter
/// (<see cref="ScalingOptions.RetryAttempts"/>, <see cref="ScalingOptions.RetryDelay"/>,
/// <see cref="ScalingOptions.MaxRetryDelay"/>): a cloud API's throttling or a pod that is slow to schedule often passes.
/// An exception from the provider is a failed attempt like any other; only cancellation ends the retries early. Built
/// on the injected <see cref="TimeProvider"/>, so tests move the delays by hand.</summary>
internal sealed class RetryingReplicaProvider : IReplicaProvider
{
    /// <summary>The attempt under way, for the retry callback.</summary>
    private static readonly ResiliencePropertyKey<ScalingAction> AttemptKey = new("widgetify.scaling.attempt");

    private readonly IReplicaProvider inner;
    private readonly ResiliencePipeline<ScalingActionResult> pipeline;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">Makes one attempt.</param>
    /// <param name="options">The retry settings (validated).</param>
    /// <param name="timeProvider">Times the delays.</param>
    /// <param name="random">Jitters them, uniform in [0, 1), so leaders of several fleets on one platform spread out.</param>
    /// <param name="onRetry">Told of each failed attempt before its retry: the attempt (from 1), its result, the delay.</param>
    public RetryingReplicaProvider(
        IReplicaProvider inner, ScalingOptions options, TimeProvider timeProvider, Func<double> random,
        Action<ScalingAction, ScalingActionResult, TimeSpan>? onRetry = null)
    {
        this.inner = inner;
        var builder = new ResiliencePipelineBuilder<ScalingActionResult> { TimeProvider = timeProvider };
        if (options.RetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<ScalingActionResult>
            {
                MaxRetryAttempts = options.RetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                UseJitter = true,
                Randomizer = random,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Succeeded: false }),
                OnRetry = args =>
                {
                    var attempt = args.Context.Properties.GetValue(AttemptKey, null!);
                    onRetry?.Invoke(attempt, args.Outcome.Result!, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        }

        pipeline = builder.Build();
    }

    public async Task<ScalingActionResult> ApplyAsync(ScalingAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var attempts = 0;
            return await pipeline.ExecuteAsync(
                async ctx =>
                {
                    var attempt = action with { Attempt = ++attempts };
                    ctx.Properties.Set(AttemptKey, attempt);
                    try
                    {
                        return await inner.ApplyAsync(attempt, ctx.CancellationToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !ctx.CancellationToken.IsCancellationRequested)
                    {
                        // A bug or an unreachable API in the provider is a failed attempt, recorded with its message.
                        return ScalingActionResult.Failure($"The provider failed: {ex.GetType().Name}: {ex.Message}");
                    }
                },
                context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
