using System.Diagnostics;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>Bounded polling for effects that happen in the background (such as buffered view counts).</summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Checks <paramref name="condition"/> every 50 ms until it holds; fails with <paramref name="because"/>
    /// and the last observed state after <paramref name="timeout"/> (default 10 s).</summary>
    public static async Task UntilAsync(Func<Task<(bool Done, string State)>> condition, string because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (done, state) = await condition();
            if (done)
            {
                return;
            }

            if (clock.Elapsed > limit)
            {
                throw new ShouldAssertException($"Timed out after {limit.TotalSeconds} s waiting until {because}; last seen: {state}.");
            }

            await Task.Delay(Interval);
        }
    }
}
