using Microsoft.Extensions.Time.Testing;
using Widgetify.Cli.Cluster;
using Widgetify.Postgres.Supervision;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>The fleet's supervisor backs off a process that keeps dying instead of starting it again at every tick.</summary>
public sealed class RestartPauseTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void RestartPause_RepeatedCrashes_GrowsFromTheDelayUpToAMinuteMore()
    {
        var exits = new List<long>();
        var delay = TimeSpan.FromSeconds(2);

        var pauses = Enumerable.Range(0, 10).Select(_ =>
        {
            var pause = Fleet.RestartPause(_time, delay, exits, _time.GetTimestamp());
            _time.Advance(pause + TimeSpan.FromSeconds(1)); // started again, died a second later
            return pause.TotalSeconds;
        }).ToList();

        pauses.Take(6).ShouldBe([2, 3, 4, 6, 10, 18]);
        pauses.ShouldBeInOrder(SortDirection.Ascending);
        pauses.Max().ShouldBe(delay.TotalSeconds + ServerSupervisor.MaxBackoff.TotalSeconds);
    }

    [Fact]
    public void RestartPause_BalancerFirstExit_AtOnce_ThenBacksOff()
    {
        var exits = new List<long>();

        Fleet.RestartPause(_time, TimeSpan.Zero, exits, _time.GetTimestamp()).ShouldBe(TimeSpan.Zero);
        Fleet.RestartPause(_time, TimeSpan.Zero, exits, _time.GetTimestamp()).ShouldBe(TimeSpan.FromSeconds(1));
        Fleet.RestartPause(_time, TimeSpan.Zero, exits, _time.GetTimestamp()).ShouldBe(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void RestartPause_AfterStableRun_StartsFromTheDelayAgain()
    {
        var exits = new List<long>();
        var delay = TimeSpan.FromSeconds(2);
        for (var i = 0; i < 4; i++)
        {
            Fleet.RestartPause(_time, delay, exits, _time.GetTimestamp());
        }

        _time.Advance(ServerSupervisor.StableAfter);

        Fleet.RestartPause(_time, delay, exits, _time.GetTimestamp()).ShouldBe(delay);
    }
}
