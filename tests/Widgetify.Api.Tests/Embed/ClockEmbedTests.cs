using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Widgetify.Api.Data;
using Widgetify.Api.Embed;
using Widgetify.Api.Embed.Kinds;
using Widgetify.Api.Embed.Snippets;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Embed;

/// <summary>A clock's embed: the server's time in the configured zone, a ticking script the page's CSP allows by hash,
/// and no caching that could serve a stale time.</summary>
[Collection(SharedApiServer.Name)]
public sealed partial class ClockEmbedTests(ApiFixture fixture)
{
    private static Widget Clock(string? timeZone) => new(
        Guid.CreateVersion7(), Guid.CreateVersion7(), "Clock", "clock",
        JsonDocument.Parse(timeZone is null ? "{}" : $$"""{"timeZone":"{{timeZone}}"}""").RootElement,
        DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1, 0);

    [Theory]
    [InlineData("Europe/Lisbon", "2026-07-01T13:00:00+01:00", "13:00:00")]
    [InlineData("America/New_York", "2026-07-01T08:00:00-04:00", "08:00:00")]
    [InlineData("Asia/Kolkata", "2026-07-01T17:30:00+05:30", "17:30:00")]
    [InlineData(null, "2026-07-01T12:00:00+00:00", "12:00:00")]
    public void RenderHtml_Clock_ShowsTheGivenTimeInItsZone(string? zone, string datetime, string text)
    {
        var now = new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);

        var page = WidgetRenderer.RenderHtml(Clock(zone), new EmbedContext(now));

        page.Html.ShouldContain($"<time class=\"count\" datetime=\"{datetime}\" data-time-zone=\"{zone ?? "UTC"}\">{text}</time>");
        page.Scripts.ShouldBe([ClockView.TickScript, AutoHeightScript.Script]); // every kind's page also posts its height
        page.Html.ShouldContain(ClockView.TickScript.Element);
        page.ContentSecurityPolicy.ShouldContain($"script-src {ClockView.TickScript.HashSource} {AutoHeightScript.Script.HashSource};");
        ScriptSources(page.ContentSecurityPolicy).ShouldBe($"{ClockView.TickScript.HashSource} {AutoHeightScript.Script.HashSource}");
    }

    [Fact]
    public async Task Embed_Clock_IsServedFreshWithItsScriptAllowedByTheHashOfTheBytesServed()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var clock = await tenant.Http.CreateWidgetAsync("Lisbon", "clock", new { timeZone = "Europe/Lisbon" });
        using var visitor = fixture.Server.CreateClient();

        using var response = await visitor.GetAsync($"/w/{clock.Id}");

        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        response.Headers.ETag.ShouldBeNull("a version ETag would answer 304 with the time of an earlier load");
        response.Headers.CacheControl.ShouldNotBeNull().NoCache.ShouldBeTrue();
        html.ShouldContain("data-time-zone=\"Europe/Lisbon\"");
        // The clock's script and the auto-height script every embed carries, each allowed by the hash of the bytes served.
        var scripts = ScriptBody().Matches(html).Select(m => m.Groups[1].Value).ToList();
        scripts.Count.ShouldBe(2);
        scripts.ShouldAllBe(s => s.Length > 0);
        var hashes = string.Join(' ', scripts.Select(s => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(s)))}'"));
        var policy = response.Headers.GetValues("Content-Security-Policy").ShouldHaveSingleItem();
        policy.ShouldContain($"script-src {hashes};");
        ScriptSources(policy).ShouldBe(hashes, "the scripts are allowed by their hashes alone, never 'unsafe-inline'");
    }

    [Fact]
    public async Task Embed_ClockAskedTwice_IsRenderedBothTimesNever304()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var clock = await tenant.Http.CreateWidgetAsync("UTC", "clock");
        using var visitor = fixture.Server.CreateClient();
        using var first = await visitor.GetAsync($"/w/{clock.Id}");
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/w/{clock.Id}");
        again.Headers.TryAddWithoutValidation("If-None-Match", "*");

        using var second = await visitor.SendAsync(again);

        second.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static string ScriptSources(string policy) => ScriptSrc().Match(policy).Groups[1].Value;

    [GeneratedRegex("script-src ([^;]*);")]
    private static partial Regex ScriptSrc();

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptBody();
}
