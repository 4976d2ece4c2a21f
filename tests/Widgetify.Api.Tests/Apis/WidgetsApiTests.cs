using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

[Collection(SharedApiServer.Name)]
public sealed class WidgetsApiTests(ApiFixture fixture)
{
    [Fact]
    public async Task Post_ValidWidget_Returns201WithLocationAndETag()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        var response = await tenant.Http.PostAsJsonAsync("/api/widgets", new { name = "Hits", kind = "counter", config = new { label = "hits" } });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetGuid();
        response.Headers.Location!.ToString().ShouldBe($"/api/widgets/{id}");
        response.Headers.ETag!.Tag.ShouldBe("\"1\"");
        body.GetProperty("name").GetString().ShouldBe("Hits");
        body.GetProperty("config").GetProperty("label").GetString().ShouldBe("hits");
    }

    [Fact]
    public async Task Post_ValidWidget_ReturnsServerOwnedFields()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "Counter", kind = "counter" }));

        var widget = await response.ShouldBeWidgetAsync(HttpStatusCode.Created);
        widget.Id.Version.ShouldBe(7, "ids are UUIDv7");
        widget.Kind.ShouldBe("counter");
        widget.Config.ValueKind.ShouldBe(JsonValueKind.Object, "config defaults to {}");
        widget.Config.EnumerateObject().ShouldBeEmpty();
        widget.Version.ShouldBe(1);
        widget.ViewCount.ShouldBe(0);
        widget.UpdatedAt.ShouldBe(widget.CreatedAt);
    }

    [Theory]
    [InlineData("counter")]
    [InlineData("poll")]
    [InlineData("banner")]
    [InlineData("clock")]
    [InlineData("weather")]
    public async Task Post_EveryKnownKind_Returns201(string kind)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        var widget = await tenant.Http.CreateWidgetAsync(kind: kind);

        widget.Kind.ShouldBe(kind);
    }

    [Fact]
    public async Task Get_ExistingWidget_Returns200WithETagAndBody()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync("Clock", "clock", new { timeZone = "Europe/Lisbon" });

        using var response = await tenant.Http.GetAsync($"/api/widgets/{created.Id}");

        var widget = await response.ShouldBeWidgetAsync();
        response.Headers.ETag!.Tag.ShouldBe("\"1\"");
        response.Headers.ETag.IsWeak.ShouldBeFalse();
        widget.Id.ShouldBe(created.Id);
        widget.Name.ShouldBe("Clock");
        widget.Config.GetProperty("timeZone").GetString().ShouldBe("Europe/Lisbon");
        widget.CreatedAt.ShouldBe(created.CreatedAt);
    }

    [Fact]
    public async Task List_AfterCreate_ContainsTheWidget()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync("Listed");

        var page = await tenant.Http.ListWidgetsAsync();

        page.Items.Select(w => (w.Id, w.Name)).ShouldBe([(created.Id, "Listed")]);
        page.NextCursor.ShouldBeNull();
    }

    [Fact]
    public async Task List_NewTenant_ReturnsEmptyPage()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        var page = await tenant.Http.ListWidgetsAsync();

        page.Items.ShouldBeEmpty();
        page.NextCursor.ShouldBeNull();
    }

    [Fact]
    public async Task Put_WithCurrentIfMatch_Returns200WithVersion2AndNewETag()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync("Before", "counter");

        using var response = await tenant.Http.PutWidgetAsync(
            created.Id, new { name = "After", kind = "banner", config = new { text = "Sale" } }, "\"1\"");

        var updated = await response.ShouldBeWidgetAsync();
        response.Headers.ETag!.Tag.ShouldBe("\"2\"");
        updated.Id.ShouldBe(created.Id);
        updated.Version.ShouldBe(2);
        updated.Name.ShouldBe("After");
        updated.Kind.ShouldBe("banner");
        updated.Config.GetProperty("text").GetString().ShouldBe("Sale");
        updated.CreatedAt.ShouldBe(created.CreatedAt);
        updated.UpdatedAt.ShouldBeGreaterThanOrEqualTo(created.UpdatedAt);

        var reread = await tenant.Http.GetWidgetAsync(created.Id);
        reread.Name.ShouldBe("After");
        reread.Version.ShouldBe(2);
    }

    [Fact]
    public async Task Delete_ExistingWidget_Returns204ThenGetReturns404()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync();

        using var delete = await tenant.Http.DeleteWidgetAsync(created.Id);
        using var get = await tenant.Http.GetAsync($"/api/widgets/{created.Id}");
        using var deleteAgain = await tenant.Http.DeleteWidgetAsync(created.Id);

        delete.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await delete.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        await get.ShouldBeProblemAsync(HttpStatusCode.NotFound, created.Id.ToString());
        await deleteAgain.ShouldBeProblemAsync(HttpStatusCode.NotFound, created.Id.ToString());
        (await tenant.Http.ListWidgetsAsync()).Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task Get_UnknownId_Returns404Problem()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var id = Guid.CreateVersion7();

        using var response = await tenant.Http.GetAsync($"/api/widgets/{id}");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, id.ToString());
    }

    [Fact]
    public async Task Put_UnknownId_Returns404Problem()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var id = Guid.CreateVersion7();

        using var response = await tenant.Http.PutWidgetAsync(id, new { name = "x", kind = "counter" }, "\"1\"");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, id.ToString());
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task AnyMethod_MalformedIdInRoute_Returns400NamingId(string method)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), "/api/widgets/not-a-uuid");
        request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        if (method == "PUT")
        {
            request.Content = WidgetHttp.Json(new { name = "x", kind = "counter" });
        }

        using var response = await tenant.Http.SendAsync(request);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "id");
        problem.ErrorsFor("id").ShouldContain("not-a-uuid");
    }

    [Theory]
    [InlineData("{0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b}")]
    [InlineData("0193b2c45d6e7f809a1b2c3d4e5f6a7b")]
    [InlineData("0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7")]
    [InlineData("12345")]
    public async Task Get_IdNotInCanonicalUuidForm_Returns400NamingId(string id)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.GetAsync($"/api/widgets/{Uri.EscapeDataString(id)}");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "id");
    }

    [Fact]
    public async Task Get_UnknownRoute_Returns404Problem()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.GetAsync("/api/gadgets");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Patch_WidgetRoute_Returns405Problem()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync();

        using var response = await tenant.Http.PatchAsync($"/api/widgets/{created.Id}", WidgetHttp.Json(new { name = "x" }));

        await response.ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Get_OtherTenantsWidget_Returns404NotForbidden()
    {
        using var owner = await fixture.Server.CreateTenantAsync();
        using var other = await fixture.Server.CreateTenantAsync();
        var widget = await owner.Http.CreateWidgetAsync("Private");

        using var response = await other.Http.GetAsync($"/api/widgets/{widget.Id}");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, widget.Id.ToString());
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("*")]
    public async Task Put_OtherTenantsWidget_Returns404AndLeavesItUnchanged(string ifMatch)
    {
        using var owner = await fixture.Server.CreateTenantAsync();
        using var other = await fixture.Server.CreateTenantAsync();
        var widget = await owner.Http.CreateWidgetAsync("Private");

        using var response = await other.Http.PutWidgetAsync(widget.Id, new { name = "Hijacked", kind = "counter" }, ifMatch);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, widget.Id.ToString());
        var unchanged = await owner.Http.GetWidgetAsync(widget.Id);
        unchanged.Name.ShouldBe("Private");
        unchanged.Version.ShouldBe(1);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("\"1\"")]
    [InlineData("W/\"1\"")]
    public async Task Delete_OtherTenantsWidget_Returns404AndKeepsIt(string? ifMatch)
    {
        using var owner = await fixture.Server.CreateTenantAsync();
        using var other = await fixture.Server.CreateTenantAsync();
        var widget = await owner.Http.CreateWidgetAsync("Private");

        using var response = await other.Http.DeleteWidgetAsync(widget.Id, ifMatch);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, widget.Id.ToString());
        (await owner.Http.GetWidgetAsync(widget.Id)).Name.ShouldBe("Private");
    }

    [Fact]
    public async Task List_OtherTenantsWidgets_AreNotVisible()
    {
        using var owner = await fixture.Server.CreateTenantAsync();
        using var other = await fixture.Server.CreateTenantAsync();
        var theirs = await owner.Http.CreateWidgetAsync("Theirs", "poll");
        var mine = await other.Http.CreateWidgetAsync("Mine", "poll");

        var all = await other.Http.ListAllWidgetsAsync();
        var searched = await other.Http.ListAllWidgetsAsync("&kind=poll&q=Theirs");

        all.Select(w => w.Id).ShouldBe([mine.Id]);
        searched.ShouldBeEmpty();
        (await owner.Http.ListAllWidgetsAsync()).Select(w => w.Id).ShouldBe([theirs.Id]);
    }
}
