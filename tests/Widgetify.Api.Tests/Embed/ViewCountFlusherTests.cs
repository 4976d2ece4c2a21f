using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Data;
using Widgetify.Api.Embed;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Observability.Database;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Embed;

/// <summary>The flusher on the shared server's real store and database, with a counter of its own, so only what a test
/// adds is flushed by it.</summary>
[Collection(SharedApiServer.Name)]
public sealed class ViewCountFlusherTests : IDisposable
{
    // Today 00:00 UTC; the counter's clock starts a minute before it: recent enough to be well within retention.
    private static readonly DateTimeOffset Midnight = StatsDay(TimeProvider.System.GetUtcNow());

    private readonly FakeTimeProvider _time = new(Midnight.AddMinutes(-1));
    private readonly ApiFixture _fixture;
    private readonly ViewCounter _counter;

    public ViewCountFlusherTests(ApiFixture fixture)
    {
        _fixture = fixture;
        _counter = new(fixture.Server.Services.GetRequiredService<IOptions<WidgetifyOptions>>(), _time);
    }

    private static DateTimeOffset StatsDay(DateTimeOffset now) => new(now.UtcDateTime.Date, TimeSpan.Zero);

    public void Dispose() => _counter.Dispose();

    private ViewCountFlusher CreateFlusher(ILogger<ViewCountFlusher>? logger = null) => new(
        _counter, _fixture.Server.Services.GetRequiredService<WidgetStore>(), _fixture.Server.Services.GetRequiredService<AdmissionController>(),
        _fixture.Server.Services.GetRequiredService<DatabaseWriteFailures>(), TimeProvider.System, _fixture.Server.Services.GetRequiredService<IOptions<WidgetifyOptions>>(), logger ?? NullLogger<ViewCountFlusher>.Instance);

    [Fact]
    public async Task FlushAsync_BufferedViewsOfTwoWidgets_WritesEachCountOnceAndReturnsTheWidgets()
    {
        // Arrange
        using var tenant = await _fixture.Server.CreateTenantAsync();
        var first = await tenant.Http.CreateWidgetAsync("First");
        var second = await tenant.Http.CreateWidgetAsync("Second");
        _counter.Add(first.Id, 3);
        _counter.Add(second.Id);
        _counter.Add(first.Id);

        // Act
        var written = await CreateFlusher().FlushAsync(CancellationToken.None);

        // Assert
        written.ShouldBe(2);
        _counter.PendingWidgets.ShouldBe(0);
        (await tenant.Http.GetWidgetAsync(first.Id)).ViewCount.ShouldBe(4);
        (await tenant.Http.GetWidgetAsync(second.Id)).ViewCount.ShouldBe(1);
    }

    [Fact]
    public async Task FlushAsync_ViewsEitherSideOfMidnight_AddsEachToItsOwnHourAndDay()
    {
        // Arrange: views at 23:59 and at 00:01 the next UTC day, flushed together after midnight
        using var tenant = await _fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Spanning");
        _counter.Add(widget.Id, 3);
        _time.Advance(TimeSpan.FromMinutes(2));
        _counter.Add(widget.Id, 2);

        // Act
        var written = await CreateFlusher().FlushAsync(CancellationToken.None);

        // Assert: one widget, its total, and each hour and each UTC day holding its own views
        written.ShouldBe(1);
        (await tenant.Http.GetWidgetAsync(widget.Id)).ViewCount.ShouldBe(5);
        var hours = await tenant.Http.GetStatsAsync(widget.Id, $"from={StatsHttp.Iso(Midnight.AddHours(-1))}&to={StatsHttp.Iso(Midnight.AddHours(1))}&interval=hour");
        hours.Buckets.Select(b => (b.Start, b.Views)).ShouldBe([(Midnight.AddHours(-1), 3L), (Midnight, 2L)]);
        var days = await tenant.Http.GetStatsAsync(widget.Id, $"from={StatsHttp.Iso(Midnight.AddDays(-1))}&to={StatsHttp.Iso(Midnight.AddDays(1))}&interval=day");
        days.Buckets.Select(b => (b.Start, b.Views)).ShouldBe([(Midnight.AddDays(-1), 3L), (Midnight, 2L)]);
        days.Totals.Views.ShouldBe(5);
    }

    [Fact]
    public async Task FlushAsync_NothingBuffered_ReturnsZero()
    {
        (await CreateFlusher().FlushAsync(CancellationToken.None)).ShouldBe(0);
    }

    [Fact]
    public async Task FlushAsync_WriteCancelled_PutsTheCountsBackForTheNextFlush()
    {
        // Arrange
        using var tenant = await _fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Kept");
        _counter.Add(widget.Id, 7);
        var flusher = CreateFlusher();

        // Act: the write fails (cancelled before it starts), then the next flush succeeds
        var failed = await flusher.FlushAsync(new CancellationToken(canceled: true));
        var pendingAfterFailure = _counter.PendingWidgets;
        var retried = await flusher.FlushAsync(CancellationToken.None);

        // Assert: nothing lost, nothing counted twice
        failed.ShouldBe(0);
        pendingAfterFailure.ShouldBe(1);
        retried.ShouldBe(1);
        (await tenant.Http.GetWidgetAsync(widget.Id)).ViewCount.ShouldBe(7);
    }

    [Fact]
    public async Task StopAsync_LastWriteFails_SaysTheCountsAreLostInsteadOfPromisingARetry()
    {
        // Arrange: the stop's deadline has passed before its last write (a database that does not answer ends the same way).
        using var tenant = await _fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Lost");
        _counter.Add(widget.Id, 5);
        var logger = new FakeLogger<ViewCountFlusher>();

        // Act
        await CreateFlusher(logger).StopAsync(new CancellationToken(canceled: true));

        // Assert
        var line = logger.Collector.GetSnapshot().ShouldHaveSingleItem();
        line.Level.ShouldBe(LogLevel.Warning);
        line.Message.ShouldStartWith("Stopping without writing the view counts of 1 widgets (5 views), ");
        line.Message.ShouldEndWith(": they are lost");
        line.Exception.ShouldBeNull();
    }
}
