using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

/// <summary>The public embed, GET /w/{id}: no key, cacheable, safe HTML, and each fetch counts a view.</summary>
[Collection(SharedApiServer.Name)]
public sealed class EmbedApiTests(ApiFixture fixture) : IDisposable
{
    private readonly HttpClient _anonymous = fixture.Server.CreateClient();

    public void Dispose() => _anonymous.Dispose();

    [Fact]
    public async Task Get_WithoutKey_Returns200CacheableHtml()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Visitors", "counter", new { label = "visitors so far" });

        using var response = await _anonymous.GetAsync($"/w/{widget.Id}");

        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        response.Content.Headers.ContentType.CharSet.ShouldBe("utf-8");
        response.Headers.CacheControl!.Public.ShouldBeTrue();
        response.Headers.CacheControl.MaxAge.ShouldNotBeNull();
        response.Headers.ETag!.IsWeak.ShouldBeTrue();
        response.Headers.Vary.ShouldContain("Accept");
        html.ShouldStartWith("<!doctype html>");
        html.ShouldContain("Visitors");
        html.ShouldContain("visitors so far");
        html.ShouldContain(widget.Id.ToString());
    }

    [Fact]
    public async Task Get_NameWithScriptTag_IsHtmlEncoded()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        const string name = "<script>alert(1)</script>";
        var widget = await tenant.Http.CreateWidgetAsync(name, "poll", new { question = "<img src=x onerror=alert(2)>", options = (string[])["<b>bold</b>", "<i>it</i>"] });

        using var response = await _anonymous.GetAsync($"/w/{widget.Id}");

        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        html.ShouldNotContain("<script>alert", Case.Insensitive);
        html.ShouldNotContain("<img", Case.Insensitive);
        html.ShouldNotContain("<b>", Case.Insensitive);
        html.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt;");
        response.Headers.TryGetValues("Content-Security-Policy", out var csp).ShouldBeTrue();
        string.Join(";", csp!).ShouldContain("default-src 'none'");
        // The only scripts are the page's own constants (auto-height, the kind's), each allowed by its hash.
        var scripts = Regex.Matches(html, "<script>(.*?)</script>", RegexOptions.Singleline);
        html.Split("<script", StringSplitOptions.None).Length.ShouldBe(scripts.Count + 1);
        foreach (var script in scripts.Cast<Match>())
        {
            string.Join(";", csp!).ShouldContain(ScriptHash(script.Groups[1].Value));
        }
        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("JaVaScRiPt:alert(1)")]
    public async Task Post_BannerWithNonHttpLink_IsRefusedSoNoEmbedCanLinkIt(string link)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "Sale", kind = "banner", config = new { text = "Click me", link } }));

        await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "config.link");
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
    }

    [Fact]
    public async Task Get_BannerWithHttpsLink_LinksThroughTheClickEndpoint()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Sale", "banner", new { text = "Click me", link = "https://example.com/sale?a=1&b=2" });

        using var response = await _anonymous.GetAsync($"/w/{widget.Id}");

        var html = await response.Content.ReadAsStringAsync();
        // Relative to the embed's own /w/{id}, so it keeps any path prefix the service is published under.
        html.ShouldContain($"href=\"{widget.Id}/click\"");
        new Uri(new Uri($"https://widgets.example/prefix/w/{widget.Id}"), $"{widget.Id}/click").AbsolutePath.ShouldBe($"/prefix/w/{widget.Id}/click");
        html.ShouldContain("target=\"_blank\" rel=\"noopener\"");
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json, text/html;q=0.5")]
    public async Task Get_AcceptJson_ReturnsPublicJsonWithoutTenant(string accept)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Weather", "weather", new { location = "Quito" });

        using var response = await _anonymous.GetWithAcceptAsync($"/w/{widget.Id}", accept);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        response.Headers.CacheControl!.Public.ShouldBeTrue();
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        root.GetProperty("id").GetGuid().ShouldBe(widget.Id);
        root.GetProperty("name").GetString().ShouldBe("Weather");
        root.GetProperty("kind").GetString().ShouldBe("weather");
        root.GetProperty("config").GetProperty("location").GetString().ShouldBe("Quito");
        root.GetProperty("viewCount").GetInt64().ShouldBe(0, "a new widget's first view is buffered, not yet in the count it is served with");
        root.EnumerateObject().Select(p => p.Name).ShouldBe(["id", "name", "kind", "config", "viewCount"], ignoreOrder: true);
        text.ShouldNotContain(tenant.TenantId.ToString(), Case.Insensitive);
    }

    [Theory]
    [InlineData("text/html, application/json")]
    [InlineData("text/html;q=0.9, application/json;q=0.5")]
    [InlineData("*/*")]
    public async Task Get_AcceptPrefersHtmlOrAny_ReturnsHtml(string accept)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();

        using var response = await _anonymous.GetWithAcceptAsync($"/w/{widget.Id}", accept);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
    }

    [Fact]
    public async Task Get_UnknownIdAcceptJson_Returns404Problem()
    {
        var id = Guid.CreateVersion7();

        using var response = await _anonymous.GetWithAcceptAsync($"/w/{id}", "application/json");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, id.ToString());
    }

    [Theory]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")] // a browser's iframe
    [InlineData("*/*")]
    [InlineData(null)]
    public async Task Get_UnknownIdFromBrowser_Returns404HtmlPage(string? accept)
    {
        var path = $"/w/{Guid.CreateVersion7()}";

        using var response = accept is null ? await _anonymous.GetAsync(path) : await _anonymous.GetWithAcceptAsync(path, accept);

        await ShouldBeUnavailablePageAsync(response, HttpStatusCode.NotFound);
    }

    private static async Task ShouldBeUnavailablePageAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html", body);
        body.ShouldContain("This widget is unavailable");
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("default-src 'none'");
    }

    [Fact]
    public async Task Get_DeletedWidget_Returns404ProblemOrPage()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        using (var delete = await tenant.Http.DeleteWidgetAsync(widget.Id))
        {
            delete.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        using var response = await _anonymous.GetWithAcceptAsync($"/w/{widget.Id}", "application/json");
        using var page = await _anonymous.GetWithAcceptAsync($"/w/{widget.Id}", "text/html");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, widget.Id.ToString());
        await ShouldBeUnavailablePageAsync(page, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("0193b2c45d6e7f809a1b2c3d4e5f6a7b")]
    public async Task Get_MalformedId_Returns400NamingId(string id)
    {
        using var response = await _anonymous.GetWithAcceptAsync($"/w/{id}", "application/json");
        using var page = await _anonymous.GetAsync($"/w/{id}");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "id");
        await ShouldBeUnavailablePageAsync(page, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Head_Embed_Returns200HeadersWithoutBodyAndCountsNoView()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Probed");

        for (var i = 0; i < 3; i++)
        {
            using var head = await _anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/w/{widget.Id}"));
            head.StatusCode.ShouldBe(HttpStatusCode.OK);
            head.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
            head.Headers.ETag.ShouldNotBeNull();
            (await head.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        }

        using (var get = await _anonymous.GetAsync($"/w/{widget.Id}"))
        {
            get.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // The GET came after the HEADs into the same buffer: had they counted, the flush would bring 4.
        await tenant.Http.WaitForViewCountAsync(widget.Id, 1, "the GET's view is flushed");
    }

    [Fact]
    public async Task Head_UnknownEmbed_Returns404()
    {
        using var head = await _anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/w/{Guid.CreateVersion7()}"));

        head.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Get_IfNoneMatchCurrentETag_Returns304()
    {
        // A server of its own whose views are not flushed during the test, so the view counted by the first GET
        // cannot change the ETag before the second: the only right answer is 304.
        await using var server = await WidgetifyServer.StartAsync(fixture.Postgres, new Dictionary<string, string?>
        {
            ["Widgetify:Embed:ViewFlushInterval"] = "00:01:00", // the most allowed; the test takes well under a second
        });
        using var tenant = await server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        using var anonymous = server.CreateClient();
        using var first = await anonymous.GetAsync($"/w/{widget.Id}");
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        var etag = first.Headers.ETag.ShouldNotBeNull("the embed must send an ETag").ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/w/{widget.Id}");
        request.Headers.TryAddWithoutValidation("If-None-Match", etag).ShouldBeTrue();

        using var response = await anonymous.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.NotModified, await response.Content.ReadAsStringAsync());
        (await response.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        response.Headers.ETag.ShouldNotBeNull("a 304 repeats the ETag").ToString().ShouldBe(etag);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("W/\"0-0\", *")]
    public async Task Get_IfNoneMatchStar_Returns304(string ifNoneMatch)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/w/{widget.Id}");
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);

        using var response = await _anonymous.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.NotModified, await response.Content.ReadAsStringAsync());
        response.Headers.ETag!.IsWeak.ShouldBeTrue();
    }

    [Theory]
    [InlineData("W/\"999-0\"")]
    [InlineData("\"stale\"")]
    public async Task Get_IfNoneMatchOtherETag_Returns200(string ifNoneMatch)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Fresh");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/w/{widget.Id}");
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);

        using var response = await _anonymous.SendAsync(request);

        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        html.ShouldContain("Fresh");
    }

    [Fact]
    public async Task Get_20Times_CountsExactly20Views()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Counted");
        var other = await tenant.Http.CreateWidgetAsync("Not counted");

        for (var i = 0; i < 20; i++)
        {
            using var response = await _anonymous.GetAsync($"/w/{widget.Id}");
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await tenant.Http.WaitForViewCountAsync(widget.Id, 20, "the 20 views are flushed to the database");
        (await tenant.Http.GetWidgetAsync(other.Id)).ViewCount.ShouldBe(0);
        (await tenant.Http.GetWidgetAsync(widget.Id)).Version.ShouldBe(1, "views do not change the version");
    }

    [Fact]
    public async Task Get_50ConcurrentFetches_CountsExactly50Views()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Popular");

        var statuses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var response = await _anonymous.GetWithAcceptAsync($"/w/{widget.Id}", "application/json");
            return response.StatusCode;
        }));

        statuses.ShouldAllBe(s => s == HttpStatusCode.OK);
        await tenant.Http.WaitForViewCountAsync(widget.Id, 50, "the 50 views are flushed to the database");
    }

    [Fact]
    public async Task Get_AfterFlush_JsonShowsTheViewCount()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        using (var embed = await _anonymous.GetAsync($"/w/{widget.Id}"))
        {
            embed.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await tenant.Http.WaitForViewCountAsync(widget.Id, 1, "the view is flushed");

        // The cached embed's count trails the database's by up to Embed:Cache:ViewCountRefresh (10 s), then one request
        // re-reads it: the flushed count shows within that bound, not necessarily on the very next request.
        long shown = -1;
        await BoundedWait.UntilAsync(
            async () =>
            {
                using var json = await _anonymous.GetWithAcceptAsync($"/w/{widget.Id}", "application/json");
                using var document = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
                shown = document.RootElement.GetProperty("viewCount").GetInt64();
                return shown >= 1;
            },
            () => $"viewCount {shown}",
            "the embed shows the flushed count once its cached count is refreshed",
            TimeSpan.FromSeconds(20));
    }

    /// <summary>The CSP source expression of a script, computed here independently of InlineScript.</summary>
    internal static string ScriptHash(string source) =>
        $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(source)))}'";
}
