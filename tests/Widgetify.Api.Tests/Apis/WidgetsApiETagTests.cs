using System.Net;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

/// <summary>Conditional requests: If-None-Match on GET, If-Match on PUT and DELETE.</summary>
[Collection(SharedApiServer.Name)]
public sealed class WidgetsApiETagTests(ApiFixture fixture)
{
    private static readonly object Edit = new { name = "Edited", kind = "banner", config = new { text = "hi" } };

    private static async Task<HttpResponseMessage> GetIfNoneMatchAsync(TenantClient tenant, Guid id, string ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/widgets/{id}");
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch).ShouldBeTrue();
        return await tenant.Http.SendAsync(request);
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("W/\"1\"")]
    [InlineData("\"7\", \"1\"")]
    [InlineData("*")]
    public async Task Get_IfNoneMatchCurrentETag_Returns304WithoutBody(string ifNoneMatch)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();

        using var response = await GetIfNoneMatchAsync(tenant, widget.Id, ifNoneMatch);

        response.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await response.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        response.Headers.ETag!.Tag.ShouldBe("\"1\"");
    }

    [Fact]
    public async Task Head_Widget_Returns200WithETagAndNoBody()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();

        using var response = await tenant.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/widgets/{widget.Id}"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, "HEAD is served wherever GET is, not 405");
        response.Headers.ETag!.Tag.ShouldBe("\"1\"");
        (await response.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Get_IfNoneMatchOldETagAfterPut_Returns200WithNewVersion()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        using var put = await tenant.Http.PutWidgetAsync(widget.Id, Edit, "\"1\"");
        await put.ShouldBeWidgetAsync();

        using var response = await GetIfNoneMatchAsync(tenant, widget.Id, "\"1\"");

        var current = await response.ShouldBeWidgetAsync();
        current.Version.ShouldBe(2);
        current.Name.ShouldBe("Edited");
        response.Headers.ETag!.Tag.ShouldBe("\"2\"");
    }

    [Fact]
    public async Task Get_IfNoneMatchGarbage_Returns200()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();

        using var response = await GetIfNoneMatchAsync(tenant, widget.Id, "not an etag");

        await response.ShouldBeWidgetAsync();
    }

    [Fact]
    public async Task Put_WithoutIfMatch_Returns428AndLeavesWidgetUnchanged()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Original");

        using var response = await tenant.Http.PutWidgetAsync(widget.Id, Edit, ifMatch: null);

        await response.ShouldBeProblemAsync((HttpStatusCode)428, "If-Match");
        (await tenant.Http.GetWidgetAsync(widget.Id)).Name.ShouldBe("Original");
    }

    [Fact]
    public async Task Put_StaleIfMatch_Returns412AndLeavesWidgetUnchanged()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Original");
        using var first = await tenant.Http.PutWidgetAsync(widget.Id, new { name = "Second", kind = "counter" }, "\"1\"");
        await first.ShouldBeWidgetAsync();

        using var stale = await tenant.Http.PutWidgetAsync(widget.Id, Edit, "\"1\"");

        var problem = await stale.ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "ETag");
        problem.GetProperty("detail").GetString()!.ShouldContain("\"2\"", Case.Sensitive, "the detail tells the current ETag");
        var current = await tenant.Http.GetWidgetAsync(widget.Id);
        (current.Name, current.Kind, current.Version).ShouldBe(("Second", "counter", 2));
    }

    [Theory]
    [InlineData("W/\"1\"")]
    [InlineData("\"abc\"")]
    [InlineData("\"-1\"")]
    [InlineData("\"\"")]
    [InlineData("\"01\"")] // strong comparison is of characters: not the "1" a GET sent
    [InlineData("\"+1\"")]
    public async Task Put_IfMatchThatNoVersionCanHave_Returns412(string ifMatch)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Original");

        using var response = await tenant.Http.PutWidgetAsync(widget.Id, Edit, ifMatch);

        await response.ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "ETag");
        (await tenant.Http.GetWidgetAsync(widget.Id)).Version.ShouldBe(1);
    }

    [Fact]
    public async Task Put_IfMatchStar_OverwritesAnyVersion()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Original");
        using var first = await tenant.Http.PutWidgetAsync(widget.Id, new { name = "Second", kind = "counter" }, "\"1\"");
        await first.ShouldBeWidgetAsync();

        using var response = await tenant.Http.PutWidgetAsync(widget.Id, Edit, "*");

        var updated = await response.ShouldBeWidgetAsync();
        updated.Version.ShouldBe(3);
        updated.Name.ShouldBe("Edited");
        response.Headers.ETag!.Tag.ShouldBe("\"3\"");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("\"1\", \"2\"")]
    [InlineData("\"1")]
    [InlineData("garbage etag")]
    public async Task Put_MalformedIfMatch_Returns400NamingIfMatch(string ifMatch)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Original");

        using var response = await tenant.Http.PutWidgetAsync(widget.Id, Edit, ifMatch);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "If-Match");
        (await tenant.Http.GetWidgetAsync(widget.Id)).Name.ShouldBe("Original");
    }

    [Fact]
    public async Task Put_ConcurrentEditsWithSameIfMatch_ExactlyOneWins()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Original");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            tenant.Http.PutWidgetAsync(widget.Id, new { name = $"Edit {i}", kind = "counter" }, "\"1\"")));

        try
        {
            responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1);
            foreach (var loser in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
            {
                await loser.ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "ETag");
            }

            (await tenant.Http.GetWidgetAsync(widget.Id)).Version.ShouldBe(2);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task Delete_StaleIfMatch_Returns412AndKeepsWidget()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Original");
        using var put = await tenant.Http.PutWidgetAsync(widget.Id, Edit, "\"1\"");
        await put.ShouldBeWidgetAsync();

        using var response = await tenant.Http.DeleteWidgetAsync(widget.Id, "\"1\"");

        await response.ShouldBeProblemAsync(HttpStatusCode.PreconditionFailed, "ETag");
        (await tenant.Http.GetWidgetAsync(widget.Id)).Version.ShouldBe(2);
    }

    [Theory]
    [InlineData("\"2\"")]
    [InlineData("*")]
    public async Task Delete_CurrentOrStarIfMatch_Returns204(string ifMatch)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        using var put = await tenant.Http.PutWidgetAsync(widget.Id, Edit, "\"1\"");
        await put.ShouldBeWidgetAsync();

        using var response = await tenant.Http.DeleteWidgetAsync(widget.Id, ifMatch);

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
    }

    [Fact]
    public async Task Delete_MalformedIfMatch_Returns400AndKeepsWidget()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();

        using var response = await tenant.Http.DeleteWidgetAsync(widget.Id, "\"1\", \"2\"");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "If-Match");
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(1);
    }

    [Fact]
    public async Task Get_ViewsCounted_DoNotChangeTheETag()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        using var anonymous = fixture.Server.CreateClient();
        using (var embed = await anonymous.GetAsync($"/w/{widget.Id}"))
        {
            embed.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await tenant.Http.WaitForViewCountAsync(widget.Id, 1, "the view is flushed");

        using var response = await tenant.Http.PutWidgetAsync(widget.Id, Edit, "\"1\"");
        await response.ShouldBeWidgetAsync();
    }
}
