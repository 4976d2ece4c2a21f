using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Dashboard;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Core.Traffic;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Dashboard;

/// <summary>GET /dashboard and /dashboard/assets/{name}: a static page from embedded files, with a strict
/// Content-Security-Policy and nothing loaded from anywhere but Widgetify itself.</summary>
[Collection(SharedApiServer.Name)]
public sealed partial class DashboardApiTests(ApiFixture fixture)
{
    // Every embedded file, so a module added later is held to the same rules without anyone remembering this list.
    private static readonly string[] Assets = [.. DashboardAssets.Load(typeof(DashboardApi).Assembly).Names];

    [Fact]
    public async Task Dashboard_Get_ReturnsHtmlWithStrictSecurityPolicy()
    {
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync("/dashboard");

        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        response.Content.Headers.ContentType.ShouldNotBeNull().MediaType.ShouldBe("text/html");
        response.Content.Headers.ContentType.CharSet.ShouldBe("utf-8");
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        policy.ShouldContain("default-src 'self'");
        policy.ShouldContain("script-src 'self'");
        policy.ShouldNotContain("unsafe-inline");
        policy.ShouldNotContain("unsafe-eval");
        response.Headers.CacheControl.ShouldNotBeNull().NoCache.ShouldBeTrue();
        response.Headers.ETag.ShouldNotBeNull();
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        html.ShouldContain("<canvas id=\"chart-rate\"");
    }

    [Fact]
    public async Task Dashboard_Html_ReferencesOnlyDashboardAssetsAndHasNoInlineScript()
    {
        using var client = fixture.Server.CreateClient();

        var html = await client.GetStringAsync("/dashboard");

        var references = Reference().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        references.ShouldNotBeEmpty();
        references.ShouldAllBe(url => url.StartsWith("/dashboard/assets/", StringComparison.Ordinal));
        ScriptTag().Matches(html).ShouldAllBe(m => m.Value.Contains(" src=\"/dashboard/assets/", StringComparison.Ordinal));
        InlineHandlerOrStyle().IsMatch(html).ShouldBeFalse("the CSP forbids inline handlers and style attributes");
        html.ShouldNotContain("http://");
        html.ShouldNotContain("https://");
    }

    [Theory]
    [InlineData("dashboard.js", "text/javascript")]
    [InlineData("chart.js", "text/javascript")]
    [InlineData("dom.js", "text/javascript")]
    [InlineData("format.js", "text/javascript")]
    [InlineData("scaling.js", "text/javascript")]
    [InlineData("review.js", "text/javascript")]
    [InlineData("dashboard.css", "text/css")]
    [InlineData("favicon.svg", "image/svg+xml")]
    public async Task Asset_Get_HasItsContentTypeAndSecurityHeaders(string name, string mediaType)
    {
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync($"/dashboard/assets/{name}");

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType.ShouldNotBeNull().MediaType.ShouldBe(mediaType);
        response.Headers.CacheControl.ShouldNotBeNull().NoCache.ShouldBeTrue();
        response.Headers.ETag.ShouldNotBeNull();
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        text.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task Assets_Content_LoadNothingFromOtherOrigins()
    {
        using var client = fixture.Server.CreateClient();
        Assets.ShouldContain("dashboard.js");

        foreach (var name in Assets)
        {
            // An SVG must name its XML namespace; that is an identifier, not something fetched.
            var text = (await client.GetStringAsync($"/dashboard/assets/{name}")).Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal);

            text.ShouldNotContain("http://", customMessage: name);
            text.ShouldNotContain("https://", customMessage: name);
            text.ShouldNotContain("url(", customMessage: name);
        }
    }

    [Fact]
    public async Task Scripts_Imports_ResolveToServedAssets()
    {
        using var client = fixture.Server.CreateClient();

        foreach (var name in Assets.Where(a => a.EndsWith(".js", StringComparison.Ordinal)))
        {
            var script = await client.GetStringAsync($"/dashboard/assets/{name}");
            foreach (var import in Import().Matches(script).Select(m => m.Groups["path"].Value))
            {
                using var response = await client.GetAsync(new Uri(new Uri(client.BaseAddress!, $"/dashboard/assets/{name}"), import));

                response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{name} imports {import}");
            }
        }
    }

    [Fact]
    public async Task Scripts_Content_NeverParseStringsAsHtml()
    {
        using var client = fixture.Server.CreateClient();

        foreach (var name in Assets.Where(a => a.EndsWith(".js", StringComparison.Ordinal)))
        {
            var script = await client.GetStringAsync($"/dashboard/assets/{name}");

            // Text from the API (alert summaries, incident titles, servers' problems) goes in through textContent only.
            HtmlSink().Matches(script).Select(m => m.Value).ShouldBeEmpty(name);
        }
    }

    [Fact]
    public async Task Asset_Unknown_Returns404Problem()
    {
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync("/dashboard/assets/missing.js");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        problem.GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain("dashboard.js");
    }

    [Fact]
    public async Task Dashboard_IfNoneMatchCurrentETag_Returns304()
    {
        using var client = fixture.Server.CreateClient();
        using var first = await client.GetAsync("/dashboard/assets/dashboard.js");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/assets/dashboard.js");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag.ShouldNotBeNull());

        using var response = await client.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await response.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
    }

    [Fact]
    public void Endpoints_All_ForOperatorsWithoutAdmission()
    {
        var endpoints = fixture.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/dashboard", StringComparison.Ordinal) == true)
            .ToList();

        endpoints.Count.ShouldBe(2);
        endpoints.ShouldAllBe(e => AdmissionEndpointMetadata.Bypasses(e, e.Metadata.GetMetadata<AdmissionEndpointMetadata>())
            && e.IsForOperators());
    }

    [GeneratedRegex("""(?:src|href)="(?<url>[^"]*)""")]
    private static partial Regex Reference();

    [GeneratedRegex("""<script\b[^>]*>""")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("""\s(?:on[a-z]+|style)\s*=""", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandlerOrStyle();

    [GeneratedRegex("""\b(?:innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser)\b""")]
    private static partial Regex HtmlSink();

    [GeneratedRegex("""\bfrom\s+'(?<path>[^']+)'""")]
    private static partial Regex Import();
}
