using Widgetify.Scaling.Providers;

namespace Widgetify.Scaling.Tests.Providers;

public sealed class RetryingReplicaProviderTests
{
    private static readonly ScalingOptions Options = new()
    {
        RetryAttempts = 3,
        RetryDelay = TimeSpan.FromSeconds(5),
        MaxRetryDelay = TimeSpan.FromMinutes(1),
    };

    private readonly TimerCountingFakeTimeProvider time = new();
    private readonly List<(int Attempt, TimeSpan Delay)> retries = [];

    private RetryingReplicaProvider Retrying(IReplicaProvider inner, ScalingOptions? options = null) =>
        new(inner, options ?? Options, time, () => 0.5, (attempt, _, delay) => retries.Add((attempt.Attempt, delay)));

    /// <summary>Moves the clock past each retry delay as the pipeline arms it, until the action ends.</summary>
    private async Task<T> RunClockAsync<T>(Task<T> applying)
    {
        while (true)
        {
            await BoundedWait.UntilAsync(
                () => applying.IsCompleted || time.ArmedTimers > 0, () => applying.Status.ToString(), "the action ends or waits to retry");
            if (applying.IsCompleted)
            {
                return await applying;
            }

            time.Advance(Options.MaxRetryDelay);
        }
    }

    [Fact]
    public async Task ApplyAsync_FailsTwiceThenSucceeds_SucceedsOnTheThirdAttempt()
    {
        // Arrange
        var inner = new ScriptedProvider(
            ScalingActionResult.Failure("throttled"), ScalingActionResult.Failure("throttled"), ScalingActionResult.Success("done"));

        // Act
        var result = await RunClockAsync(Retrying(inner).ApplyAsync(Actions.Out(), CancellationToken.None));

        // Assert
        result.Succeeded.ShouldBeTrue();
        inner.Attempts.Select(a => a.Attempt).ShouldBe([1, 2, 3]);
        retries.Select(r => r.Attempt).ShouldBe([1, 2]);
    }

    [Fact]
    public async Task ApplyAsync_EveryAttemptFails_FailsAfterRetryAttemptsWithTheLastMessage()
    {
        // Arrange
        var inner = new ScriptedProvider(
            ScalingActionResult.Failure("1"), ScalingActionResult.Failure("2"), ScalingActionResult.Failure("3"), ScalingActionResult.Failure("4"),
            ScalingActionResult.Success("never reached"));

        // Act
        var result = await RunClockAsync(Retrying(inner).ApplyAsync(Actions.Out(), CancellationToken.None));

        // Assert
        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldBe("4");
        inner.Attempts.Count.ShouldBe(4);
    }

    [Fact]
    public async Task ApplyAsync_Retries_BackOffExponentiallyUpToTheMaximum()
    {
        // Arrange
        var options = new ScalingOptions { RetryAttempts = 6, RetryDelay = TimeSpan.FromSeconds(5), MaxRetryDelay = TimeSpan.FromSeconds(30) };
        var inner = new ScriptedProvider([.. Enumerable.Repeat(ScalingActionResult.Failure("down"), 7)]);

        // Act
        await RunClockAsync(Retrying(inner, options).ApplyAsync(Actions.Out(), CancellationToken.None));

        // Assert: jittered, so not exact doublings, but growing from about the first delay and never above the maximum
        retries.Count.ShouldBe(6);
        retries.ShouldAllBe(r => r.Delay > TimeSpan.Zero && r.Delay <= TimeSpan.FromSeconds(30));
        retries[^1].Delay.ShouldBeGreaterThan(retries[0].Delay);
    }

    [Fact]
    public async Task ApplyAsync_ProviderThrows_CountsAsAFailedAttemptAndRetries()
    {
        // Arrange
        var inner = new ScriptedProvider(ScalingActionResult.Success("done")) { ThrowFirst = new HttpRequestException("connection refused") };

        // Act
        var result = await RunClockAsync(Retrying(inner).ApplyAsync(Actions.Out(), CancellationToken.None));

        // Assert
        result.Succeeded.ShouldBeTrue();
        retries.Count.ShouldBe(1);
    }

    [Fact]
    public async Task ApplyAsync_NoRetriesConfigured_OneAttempt()
    {
        // Arrange
        var inner = new ScriptedProvider(ScalingActionResult.Failure("no"), ScalingActionResult.Success("never reached"));

        // Act
        var result = await Retrying(inner, new ScalingOptions { RetryAttempts = 0 }).ApplyAsync(Actions.Out(), CancellationToken.None);

        // Assert
        result.Succeeded.ShouldBeFalse();
        inner.Attempts.Count.ShouldBe(1);
    }

    [Fact]
    public async Task ApplyAsync_CancelledWhileWaitingToRetry_Throws()
    {
        // Arrange
        var inner = new ScriptedProvider(ScalingActionResult.Failure("no"), ScalingActionResult.Success("never reached"));
        using var cancellation = new CancellationTokenSource();
        var applying = Retrying(inner).ApplyAsync(Actions.Out(), cancellation.Token);
        await BoundedWait.UntilAsync(() => time.ArmedTimers > 0, () => applying.Status.ToString(), "the first retry is waited for");

        // Act
        await cancellation.CancelAsync();

        // Assert
        await Should.ThrowAsync<OperationCanceledException>(applying);
        inner.Attempts.Count.ShouldBe(1);
    }
}
