using Widgetify.Core.Deadlines;

namespace Widgetify.Core.Tests.Deadlines;

/// <summary>The caller stops waiting when its token fires, even while the work's own reaction to the cancellation blocks
/// (as Npgsql's cancel request does against a server that does not answer).</summary>
public sealed class DetachedCancellationTests
{
    [Fact]
    public async Task RunAsync_WorkBlocksInItsCancellationCallback_CallerIsCancelledAtOnce()
    {
        // Arrange: work that never ends by itself and whose cancellation callback blocks until the test lets it go
        using var caller = new CancellationTokenSource();
        using var release = new ManualResetEventSlim();
        var callbackEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = DetachedCancellation.RunAsync(async token =>
        {
            // Ends only once the blocking callback below has returned, as Npgsql's command does after its cancel request.
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (token.Register(() =>
            {
                callbackEntered.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(30));
                cancelled.TrySetResult();
            }))
            {
                await cancelled.Task;
            }

            workEnded.TrySetResult();
            return 1;
        }, caller.Token);

        // Act: cancelled on another thread, which returns because the work's callback runs elsewhere
        await Task.Run(caller.Cancel).WaitAsync(TimeSpan.FromSeconds(10));
        var exception = await Should.ThrowAsync<OperationCanceledException>(run.WaitAsync(TimeSpan.FromSeconds(10)));
        await callbackEntered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var endedBeforeRelease = workEnded.Task.IsCompleted;
        release.Set();
        await workEnded.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Assert: the caller was answered while the work was still stuck in its callback; the work then ended by itself
        exception.CancellationToken.ShouldBe(caller.Token);
        endedBeforeRelease.ShouldBeFalse();
    }

    [Fact]
    public async Task RunAsync_WorkEnds_ItsResultAndItsFailure()
    {
        using var caller = new CancellationTokenSource();

        var value = await DetachedCancellation.RunAsync(async token => { await Task.Yield(); return 42; }, caller.Token);
        var failure = await Should.ThrowAsync<InvalidOperationException>(
            DetachedCancellation.RunAsync<int>(async _ => { await Task.Yield(); throw new InvalidOperationException("broken"); }, caller.Token));

        value.ShouldBe(42);
        failure.Message.ShouldBe("broken");
    }

    [Fact]
    public async Task RunAsync_TokenAlreadyCancelled_WorkNotStarted()
    {
        using var caller = new CancellationTokenSource();
        await caller.CancelAsync();
        var started = false;

        await Should.ThrowAsync<OperationCanceledException>(DetachedCancellation.RunAsync(_ => { started = true; return Task.FromResult(1); }, caller.Token));

        started.ShouldBeFalse();
    }
}
