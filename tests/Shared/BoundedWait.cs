using System.Diagnostics;

namespace Widgetify.Testing;

/// <summary>Polls for an effect of background work (heartbeats, buffered view flushes, a cancelled command)
/// instead of sleeping a fixed time; fails with the reason given and the last state seen when the bound
/// (default 10 s) runs out. The bound is generous: it only limits how long a broken build hangs.</summary>
public static class BoundedWait
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    public static Task UntilAsync(Func<bool> condition, Func<string> state, string because, TimeSpan? bound = null) =>
        UntilAsync(() => Task.FromResult(condition()), state, because, bound);

    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> state, string because, TimeSpan? bound = null)
    {
        var limit = bound ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new ShouldAssertException($"Gave up after {limit.TotalSeconds} s waiting until {because}; last seen: {state()}.");
            }

            await Task.Delay(Interval);
        }
    }
}
