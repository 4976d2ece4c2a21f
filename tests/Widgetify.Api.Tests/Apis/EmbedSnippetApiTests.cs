using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Widgetify.Api.Embed.Snippets;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

/// <summary>GET /api/widgets/{id}/embed (the snippet an owner pastes), GET /embed.js (its script-tag variant) and the
/// auto-height script every embed page carries for them.</summary>
[Collection(SharedApiServer.Name)]
public sealed partial class EmbedSnippetApiTests(ApiFixture fixture) : IDisposable
{
    private readonly HttpClient _anonymous = fixture.Server.CreateClient();

    public void Dispose() => _anonymous.Dispose();

    private string Origin => fixture.Server.BaseAddress.GetLeftPart(UriPartial.Authority);

    /// <summary>Configs valid for each kind, so the widgets pass per-kind validation too.</summary>
    public static TheoryData<string, object, string> Kinds => new()
    {
        { "counter", new { label = "visits" }, "allow-scripts" },
        { "poll", new { question = "Tea?", options = (string[])["Yes", "No"] }, "allow-forms allow-same-origin allow-scripts" },
        { "banner", new { text = "Sale", link = "https://example.com/sale" }, "allow-popups allow-popups-to-escape-sandbox allow-scripts" },
        { "clock", new { timeZone = "Europe/Paris" }, "allow-scripts" },
        { "weather", new { location = "Paris" }, "allow-scripts" },
    };

    [Fact]
    public async Task Get_Default_ReturnsTheIframeSnippetAsHtml()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Visitors");

        using var response = await tenant.Http.GetAsync($"/api/widgets/{widget.Id}/embed");

        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        response.Headers.CacheControl!.Private.ShouldBeTrue();
        var iframe = IframeElement().Match(html);
        iframe.Success.ShouldBeTrue(html);
        Attribute(iframe.Value, "src").ShouldBe($"{Origin}/w/{widget.Id}");
        Attribute(iframe.Value, "title").ShouldBe("Visitors");
        Attribute(iframe.Value, "loading").ShouldBe("lazy");
        Attribute(iframe.Value, "sandbox").ShouldBe("allow-scripts");
        // The height listener: this widget's messages only, from the embed's origin (or the opaque "null" of a sandboxed frame).
        html.ShouldContain($"d.id!=='{widget.Id}'");
        html.ShouldContain($"e.origin!=='{Origin}'");
        html.ShouldContain("e.source===f.contentWindow");
    }

    [Fact]
    public async Task Get_AcceptJson_ReturnsTheIframeAndTheScriptTag()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Visitors");
        var html = await tenant.Http.GetStringAsync($"/api/widgets/{widget.Id}/embed");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/widgets/{widget.Id}/embed");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await tenant.Http.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var snippet = JsonDocument.Parse(text);
        snippet.RootElement.GetProperty("iframe").GetString().ShouldBe(html);
        var script = snippet.RootElement.GetProperty("script").GetString()!;
        script.ShouldStartWith("<script ");
        script.ShouldNotContain("\n");
        Attribute(script, "src").ShouldBe($"{Origin}/embed.js");
        Attribute(script, "data-widget").ShouldBe(widget.Id.ToString());
        script.ShouldContain(" async>");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Get_EachKind_SandboxAllowsOnlyWhatItNeeds(string kind, object config, string sandbox)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Kind", kind, config);

        var html = await tenant.Http.GetStringAsync($"/api/widgets/{widget.Id}/embed");

        Attribute(IframeElement().Match(html).Value, "sandbox").ShouldBe(sandbox);
    }

    [Fact]
    public async Task Get_NameWithQuotesAndAngleBrackets_IsEncodedInTheTitles()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        const string name = "Say \"hi\" <b>now</b> & 'then'";
        var widget = await tenant.Http.CreateWidgetAsync(name);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/widgets/{widget.Id}/embed");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await tenant.Http.SendAsync(request);

        using var snippet = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        foreach (var html in new[] { snippet.RootElement.GetProperty("iframe").GetString()!, snippet.RootElement.GetProperty("script").GetString()! })
        {
            html.ShouldNotContain("\"hi\"");
            html.ShouldNotContain("<b>");
            html.ShouldContain("&quot;hi&quot; &lt;b&gt;now&lt;/b&gt; &amp;");
        }

        Attribute(IframeElement().Match(snippet.RootElement.GetProperty("iframe").GetString()!).Value, "title").ShouldBe(name);
    }

    [Fact]
    public async Task Get_OtherTenantsWidget_Returns404()
    {
        using var owner = await fixture.Server.CreateTenantAsync();
        using var other = await fixture.Server.CreateTenantAsync();
        var widget = await owner.Http.CreateWidgetAsync("Private");

        using var response = await other.Http.GetAsync($"/api/widgets/{widget.Id}/embed");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("a'b")]
    [InlineData("a..b")]
    [InlineData("a:99999")]
    public async Task Get_HostHeaderThatIsNoUriHost_Returns400Problem(string host)
    {
        // Kestrel takes these Host headers, which a snippet could not point a page at (it was a 500)
        var (_, answer) = await SnippetAskedThroughAsync(host);

        answer.ShouldStartWith("HTTP/1.1 400", Case.Sensitive, answer);
        answer.ShouldContain("application/problem+json", Case.Sensitive, answer);
        answer.ShouldContain("is not an address a page could load the widget from", Case.Sensitive, answer);
    }

    [Fact]
    public async Task Get_HostHeaderOfInvalidPunycode_PointsTheSnippetAtItAsSent()
    {
        // ASP.NET Core's request.Host throws on xn--zz (it decodes punycode): the snippet reads the header as sent
        var (widget, answer) = await SnippetAskedThroughAsync("xn--zz");

        answer.ShouldStartWith("HTTP/1.1 200", Case.Sensitive, answer);
        answer.ShouldContain($"src=\"http://xn--zz/w/{widget}\"", Case.Sensitive, answer);
    }

    /// <summary>A new widget's snippet asked for with <paramref name="host"/> as the Host header, raw: HttpClient would not
    /// send such headers. Returns the widget's id and the answer as received.</summary>
    private async Task<(Guid Widget, string Answer)> SnippetAskedThroughAsync(string host)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Anywhere");
        var address = fixture.Server.BaseAddress;
        var answer = await RawHttp.ExchangeAsync(address.Host, address.Port,
            $"GET /api/widgets/{widget.Id}/embed HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {tenant.Key}\r\nConnection: close\r\n\r\n",
            TimeSpan.FromSeconds(30));
        return (widget.Id, answer);
    }

    [Fact]
    public async Task Get_WithoutKey_Returns401()
    {
        using var response = await _anonymous.GetAsync($"/api/widgets/{Guid.NewGuid()}/embed");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task EmbedJs_Get_ServesTheScriptThatInsertsAndSizesTheIframe()
    {
        using var response = await _anonymous.GetAsync("/embed.js");

        var script = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, script);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/javascript");
        response.Headers.CacheControl!.Public.ShouldBeTrue();
        script.ShouldContain("document.currentScript");
        script.ShouldContain("data-widget");
        script.ShouldContain("e.source!==f.contentWindow");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task EmbedPage_EachKind_CarriesTheAutoHeightScriptAllowedByItsHash(string kind, object config, string sandbox)
    {
        _ = sandbox;
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Sized", kind, config);

        using var response = await _anonymous.GetAsync($"/w/{widget.Id}");

        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        html.ShouldContain($"<script>{AutoHeightScript.Script.Source}</script>");
        AutoHeightScript.Script.Source.ShouldContain("postMessage({widgetify:{id:id,height:h}},'*')");
        AutoHeightScript.Script.Source.ShouldContain("ResizeObserver");
        string.Join(";", response.Headers.GetValues("Content-Security-Policy")).ShouldContain(EmbedApiTests.ScriptHash(AutoHeightScript.Script.Source));
    }

    /// <summary>An attribute's value, HTML-decoded.</summary>
    private static string Attribute(string element, string name)
    {
        var match = Regex.Match(element, $"\\s{Regex.Escape(name)}=\"([^\"]*)\"");
        match.Success.ShouldBeTrue($"{name} in {element}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [GeneratedRegex("<iframe [^>]*>")]
    private static partial Regex IframeElement();
}
