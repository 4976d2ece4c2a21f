using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Embed.Caching;
using Widgetify.Api.Notifications;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Api.Tests.Polls;

namespace Widgetify.Api.Tests.Embed.Caching;

/// <summary>Many concurrent embeds of a widget nobody has fetched yet, over real HTTP, on a server of its own (so that no
/// other test's reads are counted): one database read between them.</summary>
[Collection(SharedApiServer.Name)]
public sealed class EmbedCacheSingleFlightTests(ApiFixture fixture)
{
    [Fact]
    public async Task Get_300ConcurrentEmbedsOfAColdWidget_ReadTheDatabaseOnce()
    {
        // Arrange: nothing may make the cache forget or distrust the read while it runs: the listener's first connect
        // (which empties the cache) and the widget's own insert notification are both heard before the burst.
        await using var server = await WidgetifyServer.StartAsync(fixture.Postgres, ApiFixture.NeverShed);
        var listener = server.Services.GetRequiredService<NotificationListener>();
        await BoundedWait.UntilAsync(() => listener.IsListening, () => "not listening", "the instance listens for changes");
        using var tenant = await server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Viral");
        var cache = server.Services.GetRequiredService<EmbedCache>();
        await BoundedWait.UntilAsync(() => cache.HasHeardOf(widget.Id), () => "not heard", "the widget's insert notification arrived");
        var (loads, misses) = (cache.Loads, cache.Misses);
        using var visitors = PollHttp.CreateVisitorClient(server.BaseAddress);

        // Act: the one read is held by a lock until several requests provably wait for it at once (admission lets only
        // the connection share in at a time, so not all 300 can), then let through.
        Task<HttpStatusCode[]> burst;
        await using (var hold = await TableLock.TakeAsync(fixture.Postgres.ConnectionString))
        {
            burst = Task.WhenAll(Enumerable.Range(0, 300).Select(async _ =>
            {
                using var response = await visitors.GetAsync($"/w/{widget.Id}");
                return response.StatusCode;
            }));
            // The read is counted when it starts on the thread pool (Task.Run), after the request that started it counted
            // its miss: on a busy machine two misses were seen before the read was, and Loads read 0 (a run at load 30).
            await BoundedWait.UntilAsync(
                () => cache.Misses - misses >= 2 && cache.Loads - loads >= 1,
                () => $"misses {cache.Misses - misses}, loads {cache.Loads - loads}",
                "requests joined the read in flight");
            (cache.Loads - loads).ShouldBe(1, "the requests that missed while the read was held joined it");
        }

        var statuses = await burst;

        // Assert
        statuses.ShouldAllBe(s => s == HttpStatusCode.OK);
        (cache.Loads - loads).ShouldBe(1, "every request that missed waited for the one read in flight; the rest hit its entry");
        await tenant.Http.WaitForViewCountAsync(widget.Id, 300, "every embed still counts its view");
    }
}
