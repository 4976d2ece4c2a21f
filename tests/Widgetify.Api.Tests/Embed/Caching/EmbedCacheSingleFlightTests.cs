using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Embed.Caching;
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
        // Arrange
        await using var server = await WidgetifyServer.StartAsync(fixture.Postgres, ApiFixture.NeverShed);
        using var tenant = await server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Viral");
        var cache = server.Services.GetRequiredService<EmbedCache>();
        var loads = cache.Loads;
        using var visitors = PollHttp.CreateVisitorClient(server.BaseAddress);

        // Act
        var statuses = await Task.WhenAll(Enumerable.Range(0, 300).Select(async _ =>
        {
            using var response = await visitors.GetAsync($"/w/{widget.Id}");
            return response.StatusCode;
        }));

        // Assert
        statuses.ShouldAllBe(s => s == HttpStatusCode.OK);
        (cache.Loads - loads).ShouldBe(1, "every request that missed waited for the one read in flight");
        await tenant.Http.WaitForViewCountAsync(widget.Id, 300, "every embed still counts its view");
    }
}
