using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Embed.Caching;
using Widgetify.Api.Health;
using Widgetify.Api.Notifications;
using Widgetify.Api.Stats;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Tests.Embed.Caching;

/// <summary>The warm-up before readiness, on a real PostgreSQL: which widgets it reads (the most viewed since the start of
/// the previous hour), and that readiness waits for it only as long as <see cref="EmbedCacheOptions.WarmUpTimeout"/>. The
/// shared database holds other tests' views too: the widgets here get views no other test makes (10^15 and more), so
/// they rank first, and the first test's above the second's.</summary>
[Collection(SharedApiServer.Name)]
public sealed class EmbedCacheWarmUpTests(ApiFixture fixture) : IDisposable
{
    private const long ManyViews = 1_000_000_000_000_000;

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private EmbedCache? _cache;
    private EmbedCacheWarmUp? _warmUp;

    public void Dispose()
    {
        // Stopping cancels a warm-up still running and waits for it (a test that failed part-way).
        _warmUp?.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _warmUp?.Dispose();
        _cache?.Dispose();
    }

    [Fact]
    public async Task ExecuteAsync_ViewsSinceThePreviousHour_ReadsTheMostViewedBeforeItEnds()
    {
        // Arrange: C has the most views of all, but 3 hours ago; A and B were viewed this hour and the one before.
        var (a, b, c) = (await CreateWidgetAsync(), await CreateWidgetAsync(), await CreateWidgetAsync());
        var hour = Hour(_time.GetUtcNow());
        await AddViewsAsync(a, hour, 3_000 * ManyViews);
        await AddViewsAsync(b, hour.AddHours(-1), 2_000 * ManyViews);
        await AddViewsAsync(c, hour.AddHours(-3), 4_000 * ManyViews);

        // Act
        var warmUp = Start(widgets: 2);
        await warmUp.Finished.WaitAsync(TimeSpan.FromSeconds(30));

        // Assert: the two read before the end, and an embed of either is answered from memory; C is read on demand.
        warmUp.Progress.ShouldBe((2, 2));
        warmUp.Summary.ShouldStartWith("Warmed: the 2 widgets viewed most in the last hour were read in");
        _cache!.Loads.ShouldBe(2);
        await _cache.GetAsync(a, null, null, CancellationToken.None);
        await _cache.GetAsync(b, null, null, CancellationToken.None);
        _cache.Misses.ShouldBe(0, "both were in memory before the first embed");
        await _cache.GetAsync(c, null, null, CancellationToken.None);
        _cache.Misses.ShouldBe(1, "views older than the previous hour do not make a widget hot");
        (await Check()).Status.ShouldBe(HealthStatus.Healthy);
    }

    [Fact]
    public async Task ExecuteAsync_ReadsThatDoNotEnd_UnreadyUntilWarmUpTimeoutThenReady()
    {
        // Arrange: the widget's snapshot read waits behind a lock (its last statement reads poll_option_votes).
        var widget = await CreateWidgetAsync();
        await AddViewsAsync(widget, Hour(_time.GetUtcNow()), 5 * ManyViews);
        await using var blocked = await TableLock.TakeAsync(fixture.Postgres.ConnectionString);
        var warmUp = Start(widgets: 1, timeout: TimeSpan.FromSeconds(5));
        await BoundedWait.UntilAsync(() => warmUp.Progress.Wanted == 1, () => warmUp.Summary, "the hot set was read");

        // Act + Assert: unready while the read waits, saying what it does and what ends it.
        var warming = await Check();
        warming.Status.ShouldBe(HealthStatus.Unhealthy);
        warming.Description.ShouldBe(
            "Warming up: Reading the 1 widgets visitors viewed most in the last hour into the embed cache. " +
            "Ready when it ends, or after Widgetify:Embed:Cache:WarmUpTimeout.");
        warming.Data["loaded"].ShouldBe(0);
        warming.Data["wanted"].ShouldBe(1);

        _time.Advance(TimeSpan.FromSeconds(5));
        await warmUp.Finished.WaitAsync(TimeSpan.FromSeconds(30));
        var gaveUp = await Check();
        gaveUp.Status.ShouldBe(HealthStatus.Healthy, "the warm-up is a help, never a condition of readiness");
        gaveUp.Description.ShouldBe(
            "Gave up after 0 widgets: it did not end within Widgetify:Embed:Cache:WarmUpTimeout (5 s). The others load on their first embed.");
    }

    [Fact]
    public async Task ExecuteAsync_ListenerNotListeningYet_ReadsNothingUntilItListens()
    {
        // Arrange: a listener of its own, not started, whose first LISTEN empties the cache as in the service: nothing is read
        // before it.
        var widget = await CreateWidgetAsync();
        await AddViewsAsync(widget, Hour(_time.GetUtcNow()), 500 * ManyViews);
        var options = new WidgetifyOptions { Database = { ConnectionString = fixture.Postgres.ConnectionString } };
        NotificationListener? listener = null;
        var warmUp = Start(widgets: 1, listener: cache => listener = new NotificationListener(
            [new WidgetChangeSubscriber(cache)], _time, Options.Create(options), NullLogger<NotificationListener>.Instance));

        // Act + Assert: unready, waiting for the listener, having read nothing.
        var waiting = await Check();
        waiting.Status.ShouldBe(HealthStatus.Unhealthy);
        waiting.Description!.ShouldContain("Waiting for the connection that hears widget changes (LISTEN)");
        _cache!.Loads.ShouldBe(0);

        // Act: the listener listens; the warm-up goes on.
        await listener!.StartAsync(CancellationToken.None);
        await warmUp.Finished.WaitAsync(TimeSpan.FromSeconds(30));
        await listener.StopAsync(CancellationToken.None);
        listener.Dispose();

        // Assert
        warmUp.Progress.ShouldBe((1, 1));
        _cache.Loads.ShouldBe(1);
    }

    [Fact]
    public async Task ExecuteAsync_Off_EndsAtOnceWithoutReading()
    {
        var warmUp = Start(widgets: 0);

        await warmUp.Finished.WaitAsync(TimeSpan.FromSeconds(30));

        warmUp.Summary.ShouldBe("Off (Widgetify:Embed:Cache:WarmUpWidgets is 0).");
        _cache!.Loads.ShouldBe(0);
        (await Check()).Status.ShouldBe(HealthStatus.Healthy);
    }

    [Fact]
    public async Task ExecuteAsync_NoViewsInTheWindow_SaysThereWasNothingToWarm()
    {
        // The whole window of the clock: 10 years on, no widget of the shared database has a view that recent.
        _time.Advance(TimeSpan.FromDays(3650));
        var warmUp = Start(widgets: 1_000);

        await warmUp.Finished.WaitAsync(TimeSpan.FromSeconds(30));

        warmUp.Summary.ShouldBe("Nothing to warm: no widget was viewed in the last hour (a new deployment, or a quiet one).");
        warmUp.Progress.ShouldBe((0, 0));
        _cache!.Loads.ShouldBe(0);
    }

    private EmbedCacheWarmUp Start(int widgets, TimeSpan? timeout = null, Func<EmbedCache, NotificationListener>? listener = null)
    {
        var options = new WidgetifyOptions { Database = { ConnectionString = fixture.Postgres.ConnectionString } };
        options.Embed.Cache.WarmUpWidgets = widgets;
        options.Embed.Cache.WarmUpTimeout = timeout ?? TimeSpan.FromSeconds(10);
        var services = fixture.Server.Services;
        _cache = new EmbedCache(
            services.GetRequiredService<WidgetSnapshotReader>(), services.GetRequiredService<EmbedCacheMetrics>(), _time, Options.Create(options));
        // The shared server's listener (listening already) unless the test brings its own: the warm-up waits for its first LISTEN.
        _warmUp = new EmbedCacheWarmUp(
            _cache, services.GetRequiredService<WidgetActivityStore>(), listener?.Invoke(_cache) ?? services.GetRequiredService<NotificationListener>(),
            services.GetRequiredService<PoolGovernor>(), _time, Options.Create(options),
            NullLogger<EmbedCacheWarmUp>.Instance);
        _warmUp.StartAsync(CancellationToken.None).GetAwaiter().GetResult(); // starts ExecuteAsync, and returns
        return _warmUp;
    }

    private Task<HealthCheckResult> Check() => new EmbedCacheWarmUpCheck(_warmUp!).CheckHealthAsync(new HealthCheckContext());

    private static DateTimeOffset Hour(DateTimeOffset at) => new(at.Year, at.Month, at.Day, at.Hour, 0, 0, TimeSpan.Zero);

    private async Task<Guid> CreateWidgetAsync()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        return (await tenant.Http.CreateWidgetAsync("Hot")).Id;
    }

    private async Task AddViewsAsync(Guid widget, DateTimeOffset hour, long views)
    {
        await using var connection = await UnpooledConnection.OpenAsync(fixture.Postgres.ConnectionString, "widgetify-test");
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO widget_activity_hourly (widget_id, hour, views) VALUES ($1, $2, $3)";
        command.Parameters.Add(new() { Value = widget });
        command.Parameters.Add(new() { Value = hour });
        command.Parameters.Add(new() { Value = views });
        await command.ExecuteNonQueryAsync();
    }
}
