using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
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

    private ViewCountFlusher CreateFlusher() => new(
        _counter, fixture.Server.Services.GetRequiredService<WidgetStore>(), fixture.Server.Services.GetRequiredService<AdmissionController>(),
        fixture.Server.Services.GetRequiredService<DatabaseWriteFailures>(), TimeProvider.System, fixture.Server.Services.GetRequiredService<IOptions<WidgetifyOptions>>(), NullLogger<ViewCountFlusher>.Instance);

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
}
