using System.Net;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests;

/// <summary>The service as a process: restarts keep data, and a graceful stop flushes buffered views.</summary>
[Collection(SharedApiServer.Name)]
public sealed class WidgetifyApplicationTests(ApiFixture fixture)
{
    [Fact]
    public async Task Restart_NewServerOnSameDatabase_KeepsWidgetsAndKeys()
    {
        Guid widgetId;
        string key;
        await using (var first = await WidgetifyServer.StartAsync(fixture.Postgres.ConnectionString))
        {
            using var tenant = await first.CreateTenantAsync();
            key = tenant.Key;
            widgetId = (await tenant.Http.CreateWidgetAsync("Kept")).Id;
        }

        await using var second = await WidgetifyServer.StartAsync(fixture.Postgres.ConnectionString);
        using var client = second.CreateClient("Bearer " + key);

        var widget = await client.GetWidgetAsync(widgetId);

        widget.Name.ShouldBe("Kept");
    }

    [Fact]
    public async Task Stop_WithBufferedViews_FlushesThemBeforeExit()
    {
        using var owner = await fixture.Server.CreateTenantAsync();
        var widget = await owner.Http.CreateWidgetAsync("Viewed before shutdown");
        var server = await WidgetifyServer.StartAsync(fixture.Postgres.ConnectionString, new Dictionary<string, string?>
        {
            ["Widgetify:Embed:ViewFlushInterval"] = "00:01:00", // nothing is flushed on the timer during this test
        });
        await using (server)
        {
            using var anonymous = server.CreateClient();
            for (var i = 0; i < 7; i++)
            {
                using var response = await anonymous.GetAsync($"/w/{widget.Id}");
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
            }

            await server.StopAsync();
        }

        (await owner.Http.GetWidgetAsync(widget.Id)).ViewCount.ShouldBe(7, "a graceful stop writes the views it buffered");
    }
}
