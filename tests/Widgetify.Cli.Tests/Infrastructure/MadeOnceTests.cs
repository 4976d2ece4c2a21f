using Widgetify.Testing;

namespace Widgetify.Cli.Tests.Infrastructure;

public sealed class MadeOnceTests
{
    [Fact]
    public async Task GetAsync_MakeFailedOnce_TriesAgainAndKeepsOnlyTheSuccess()
    {
        // Arrange: a make that fails the first time (as a template's first start may on a busy machine).
        var calls = 0;
        using var once = new MadeOnce<string>(() =>
        {
            calls++;
            return calls == 1 ? Task.FromException<string>(new TimeoutException("first start too slow")) : Task.FromResult($"made by call {calls}");
        });

        // Act
        var failure = await Should.ThrowAsync<TimeoutException>(() => once.GetAsync());
        var second = await once.GetAsync();
        var third = await once.GetAsync();

        // Assert: the failure reached its caller only; the next call made it, and later ones reuse that.
        failure.Message.ShouldBe("first start too slow");
        second.ShouldBe("made by call 2");
        third.ShouldBe("made by call 2");
        calls.ShouldBe(2);
    }

    [Fact]
    public async Task GetAsync_ManyCallersAtOnce_MakesOnce()
    {
        // Arrange: a make that completes only when released, so every caller arrives while it runs.
        var calls = 0;
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var once = new MadeOnce<string>(() =>
        {
            Interlocked.Increment(ref calls);
            return release.Task;
        });

        // Act
        var callers = Enumerable.Range(0, 8).Select(_ => once.GetAsync()).ToList();
        release.SetResult("made");
        var values = await Task.WhenAll(callers);

        // Assert
        values.ShouldAllBe(v => v == "made");
        calls.ShouldBe(1);
    }
}
