using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Overload.Routing;

namespace Widgetify.Overload.Tests.Routing;

/// <summary>The monitor's rounds against standbys that come and go; no server is ever reached (the port is closed).</summary>
public sealed class ReadServerMonitorTests : IAsyncDisposable
{
    private const string Nowhere = "Host=127.0.0.1;Port=1;Username=app;Password=x;Database=widgetify;Timeout=1";

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private readonly NpgsqlDataSource primary = NpgsqlDataSource.Create(Nowhere);
    private readonly ReadRouter router;

    public ReadServerMonitorTests() =>
        router = new ReadRouter(new ReplicaOptions(), (_, ct) => primary.OpenConnectionAsync(ct), "monitor-test", time, NullLoggerFactory.Instance);

    [Fact]
    public async Task CheckAsync_StandbyDrainedAndRemovedWhileTheRoundRuns_EndsQuietly()
    {
        // Arrange: the round took its list of standbys, then a scale-in (or the replacement of a dead standby) drained and
        // removed one, disposing its data sources. bench scale saw the ObjectDisposedException escape the monitor and stop
        // the service ("BackgroundService failed ... IHost instance is stopping") while replacing a killed standby.
        router.Add("standby-1", Nowhere);
        var leaving = router.Standbys.ShouldHaveSingleItem();
        (await router.DrainAsync("standby-1", TimeSpan.Zero, CancellationToken.None)).ShouldBe(0);
        var monitor = new ReadServerMonitor(router, primary, () => 1);

        // Act
        var check = () => monitor.CheckAsync(leaving, CancellationToken.None);

        // Assert
        await check.ShouldNotThrowAsync();
        router.Standbys.ShouldBeEmpty();
    }

    [Fact]
    public async Task CheckAsync_StandbyStillInTheRouterButUnreachable_JudgedDown()
    {
        router.Add("standby-1", Nowhere);
        var standby = router.Standbys.ShouldHaveSingleItem();
        var monitor = new ReadServerMonitor(router, primary, () => 1);

        await monitor.CheckAsync(standby, CancellationToken.None);

        standby.State.ShouldBe(ReadServerState.Down);
    }

    public async ValueTask DisposeAsync()
    {
        await router.DisposeAsync();
        await primary.DisposeAsync();
    }
}
