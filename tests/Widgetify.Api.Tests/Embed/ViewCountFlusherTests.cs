using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Widgetify.Api.Data;
using Widgetify.Api.Embed;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Observability.Database;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Embed;

/// <summary>The flusher on the shared server's real store and database, with a counter of its own, so only what a test
/// adds is flushed by it.</summary>
[Collection(SharedApiServer.Name)]
public sealed class ViewCountFlusherTests(ApiFixture fixture) : IDisposable
{
    private readonly ViewCounter _counter = new(fixture.Server.Services.GetRequiredService<IOptions<WidgetifyOptions>>());

    public void Dispose() => _counter.Dispose();

    private ViewCountFlusher CreateFlusher(ILogger<ViewCountFlusher>? logger = null) => new(
        _counter, fixture.Server.Services.GetRequiredService<WidgetStore>(), fixture.Server.Services.GetRequiredService<AdmissionController>(),
        fixture.Server.Services.GetRequiredService<DatabaseWriteFailures>(), TimeProvider.System, fixture.Server.Services.GetRequiredService<IOptions<WidgetifyOptions>>(), logger ?? NullLogger<ViewCountFlusher>.Instance);

    [Fact]
    public async Task FlushAsync_BufferedViewsOfTwoWidgets_WritesEachCountOnceAndReturnsTheWidgets()
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();
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
    public async Task FlushAsync_NothingBuffered_ReturnsZero()
    {
        (await CreateFlusher().FlushAsync(CancellationToken.None)).ShouldBe(0);
    }

    [Fact]
    public async Task FlushAsync_WriteCancelled_PutsTheCountsBackForTheNextFlush()
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();
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
        using var tenant = await fixture.Server.CreateTenantAsync();
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
