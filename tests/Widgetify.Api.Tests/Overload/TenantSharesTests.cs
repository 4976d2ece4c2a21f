using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.TenantShares;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Overload;

/// <summary>Issue 15's viral widget, end to end: one tenant's widget flooded through real HTTP against a tiny admission
/// limit must not shed another tenant's embeds (docs/overload.md, "Shares between tenants").</summary>
public sealed class TenantSharesTests : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    private WidgetifyServer Server => _dedicated!.Server;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
    {
        // A fixed limit of 2 leaves reads one slot (ReadShare 0.9), and a queue of 4: the flood is shed at once.
        ["Widgetify:Admission:InitialLimit"] = "2",
        ["Widgetify:Admission:MinLimit"] = "2",
        ["Widgetify:Admission:MaxLimit"] = "2",
        ["Widgetify:Admission:QueueCapacity"] = "4",
        // Waits generous enough that a loaded test machine does not time the other tenant's waiter out: what is under
        // test is who gets the next slot and the queue's places, not CoDel's timeouts.
        ["Widgetify:Admission:QueueInterval"] = "00:00:01",
        ["Widgetify:Admission:QueueTargetDelay"] = "00:00:01",
    });

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [Fact]
    public async Task GetPartitionKey_EmbedOfAWidgetServedOnce_IsItsTenantFromTheEmbedCache()
    {
        // Arrange: two widgets of one tenant, one of them fetched once (so the embed cache holds it)
        using var owner = await Server.CreateTenantAsync();
        var served = await owner.Http.CreateWidgetAsync("served");
        var cold = await owner.Http.CreateWidgetAsync("cold");
        using var visitor = Server.CreateClient();
        (await visitor.GetAsync($"/w/{served.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var partitioner = Server.Services.GetRequiredService<IAdmissionPartitioner>();

        // Act
        var servedKey = partitioner.GetPartitionKey(EmbedOf(served.Id));
        var coldKey = partitioner.GetPartitionKey(EmbedOf(cold.Id));

        // Assert: the served widget counts against its tenant's embeds; the other one, not read yet, against every
        // widget the cache does not know
        servedKey.ShouldBe(TenantPartitioner.EmbedsKey(owner.TenantId));
        coldKey.ShouldBe(TenantPartitioner.UncachedWidgets);

        static DefaultHttpContext EmbedOf(Guid id)
        {
            var context = new DefaultHttpContext();
            context.Request.Path = $"/w/{id}";
            context.Request.RouteValues["id"] = id.ToString();
            return context;
        }
    }

    [Fact]
    public async Task Embeds_OneWidgetFloodedAndAnotherTenantsWidgetFetched_OtherTenantsEmbedsAllSucceed()
    {
        // Arrange: two tenants, one widget each; 32 clients fetch the first as fast as they can
        using var viralOwner = await Server.CreateTenantAsync();
        using var otherOwner = await Server.CreateTenantAsync();
        var viral = await viralOwner.Http.CreateWidgetAsync("viral");
        var other = await otherOwner.Http.CreateWidgetAsync("other");
        var controller = Server.Services.GetRequiredService<AdmissionController>();
        using var floodHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 })
        {
            BaseAddress = Server.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        using var visitor = Server.CreateClient();

        // A cached embed does no database work and skips admission altogether (docs/overload.md 2.7b); a consistency token
        // (one every write has passed) makes these embeds wait for admission as database-bound requests do, each still
        // counted against its widget's tenant, which is what this test is about.
        var passed = Server.SignedToken("0/1");
        floodHttp.DefaultRequestHeaders.Add("Widgetify-Consistency", passed);
        visitor.DefaultRequestHeaders.Add("Widgetify-Consistency", passed);

        // Both widgets served once, so the embed cache knows their tenants: a widget it does not know shares one
        // partition with every unknown id (docs/overload.md 2.8), which is not what this test is about
        (await visitor.GetAsync($"/w/{viral.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await visitor.GetAsync($"/w/{other.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var stop = new CancellationTokenSource();
        var floodStatuses = new int[600];
        var flood = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await floodHttp.GetAsync($"/w/{viral.Id}", CancellationToken.None);
                Interlocked.Increment(ref floodStatuses[(int)response.StatusCode]);
            }
        })).ToList();
        var shedBefore = controller.GetStatistics().TotalShed;
        await BoundedWait.UntilAsync(
            () => controller.GetStatistics().TotalShed > shedBefore + 20,
            () => $"shed {controller.GetStatistics().TotalShed - shedBefore}",
            "the flood overloads the limit and is being shed");

        // Act: the other tenant's visitors, one after another, while the flood goes on
        var otherStatuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var response = await visitor.GetAsync($"/w/{other.Id}");
            otherStatuses.Add(response.StatusCode);
        }

        var floodShedMeanwhile = controller.GetStatistics().TotalShed - shedBefore;
        await stop.CancelAsync();
        await Task.WhenAll(flood);

        // Assert
        otherStatuses.ShouldAllBe(s => s == HttpStatusCode.OK, "the other tenant's embeds are served, not shed with the flood");
        floodShedMeanwhile.ShouldBeGreaterThan(20);
        floodStatuses[503].ShouldBeGreaterThan(0, "the flood is shed beyond its share");
        floodStatuses[200].ShouldBeGreaterThan(0, "and served within it");
    }
}
