using System.Net;
using System.Text.RegularExpressions;
using Npgsql;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Embed;

/// <summary><c>GET /w/{id}/click</c>: counts the click and redirects to the banner's stored link, and nowhere else.</summary>
[Collection(SharedApiServer.Name)]
public sealed partial class BannerClickTests(ApiFixture fixture) : IDisposable
{
    private const string Link = "https://example.com/sale?a=1&b=2";

    // A visitor's browser would follow the 302; the test reads where it points instead.
    private readonly HttpClient _visitor = new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server.BaseAddress };

    public void Dispose() => _visitor.Dispose();

    [Fact]
    public async Task Click_BannerWithLink_Redirects302ToItsLinkAndCountsTheClick()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var banner = await tenant.Http.CreateWidgetAsync("Sale", "banner", new { text = "Spring sale", link = Link });

        using var response = await _visitor.GetAsync($"/w/{banner.Id}/click");

        response.StatusCode.ShouldBe(HttpStatusCode.Found);
        response.Headers.Location.ShouldBe(new Uri(Link));
        response.Headers.CacheControl?.NoStore.ShouldBeTrue("every click must reach the service to be counted");
        (await ClicksAsync(banner.Id)).ShouldBe((1L, 1L));
    }

    [Theory]
    [InlineData("https://bücher.example/straße?q=ü#teil", "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC#teil")]
    [InlineData("http://例え.テスト:8080/", "http://xn--r8jz45g.xn--zckzah:8080/")]
    [InlineData("https://example.com/straße", "https://example.com/stra%C3%9Fe")]
    public async Task Click_LinkWithNonAsciiHostOrPath_RedirectsToItsAsciiForm(string link, string location)
    {
        // A Location header is ASCII: the host was sent as written and Kestrel refused the header, a 500 for the visitor
        using var tenant = await fixture.Server.CreateTenantAsync();
        var banner = await tenant.Http.CreateWidgetAsync("Bücher", "banner", new { text = "Sale", link });

        using var response = await _visitor.GetAsync($"/w/{banner.Id}/click");

        response.StatusCode.ShouldBe(HttpStatusCode.Found, await response.Content.ReadAsStringAsync());
        response.Headers.Location.ShouldNotBeNull().OriginalString.ShouldBe(location);
        (await ClicksAsync(banner.Id)).ShouldBe((1L, 1L));
    }

    [Fact]
    public async Task Click_FollowingTheRenderedBannersHref_CountsEachClickOnceInTotalAndInTheHour()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var banner = await tenant.Http.CreateWidgetAsync("Sale", "banner", new { text = "Spring sale", link = Link });
        var html = await _visitor.GetStringAsync($"/w/{banner.Id}");
        // Resolved against the embed's own address, as a browser does (the href is relative to /w/{id}).
        var href = new Uri(new Uri(_visitor.BaseAddress!, $"/w/{banner.Id}"), Href().Match(html).Groups[1].Value);

        for (var i = 0; i < 3; i++)
        {
            using var response = await _visitor.GetAsync(href);
            response.Headers.Location.ShouldBe(new Uri(Link));
        }

        (await ClicksAsync(banner.Id)).ShouldBe((3L, 3L));
    }

    [Theory]
    [InlineData("?url=https://evil.example/")]
    [InlineData("?link=https://evil.example/&to=https://evil.example/")]
    [InlineData("/../../w/x/click?url=//evil.example")]
    public async Task Click_WithATargetInTheQuery_StillGoesOnlyToTheStoredLink(string suffix)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var banner = await tenant.Http.CreateWidgetAsync("Sale", "banner", new { text = "Spring sale", link = Link });

        using var response = await _visitor.GetAsync($"/w/{banner.Id}/click{suffix}");

        if (response.StatusCode == HttpStatusCode.Found)
        {
            response.Headers.Location.ShouldBe(new Uri(Link));
        }
        else
        {
            response.Headers.Location.ShouldBeNull();
            ((int)response.StatusCode).ShouldBeInRange(400, 499);
        }
    }

    [Fact]
    public async Task Click_BannerWithoutLink_Returns404Problem()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var banner = await tenant.Http.CreateWidgetAsync("Notice", "banner", new { text = "Closed on Monday" });

        using var response = await _visitor.GetAsync($"/w/{banner.Id}/click");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "link");
        (await ClicksAsync(banner.Id)).ShouldBe((0L, 0L));
    }

    [Fact]
    public async Task Click_LinkRemovedByAnEdit_Returns404()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var banner = await tenant.Http.CreateWidgetAsync("Sale", "banner", new { text = "Spring sale", link = Link });
        using var edit = await tenant.Http.PutWidgetAsync(banner.Id, new { name = "Sale", kind = "banner", config = new { text = "Over" } }, "\"1\"");
        edit.StatusCode.ShouldBe(HttpStatusCode.OK);

        using var response = await _visitor.GetAsync($"/w/{banner.Id}/click");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("counter")]
    [InlineData("poll")]
    [InlineData("clock")]
    [InlineData("weather")]
    public async Task Click_WidgetThatIsNotABanner_Returns404Problem(string kind)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Not a banner", kind);

        using var response = await _visitor.GetAsync($"/w/{widget.Id}/click");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "banner");
    }

    [Fact]
    public async Task Click_UnknownWidget_Returns404Problem()
    {
        using var response = await _visitor.GetAsync($"/w/{Guid.CreateVersion7()}/click");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    /// <summary>The banner's click total and the sum of its hourly rollups, read from PostgreSQL.</summary>
    private async Task<(long Total, long Hourly)> ClicksAsync(Guid widgetId)
    {
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT w.click_count, COALESCE((SELECT sum(clicks) FROM widget_activity_hourly a WHERE a.widget_id = w.id), 0)::bigint
            FROM widgets w WHERE w.id = $1
            """, connection);
        command.Parameters.Add(new() { Value = widgetId });
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    [GeneratedRegex("href=\"([^\"]+)\"")]
    private static partial Regex Href();
}
