using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Embed;

/// <summary>The snippets in a real headless Chromium, pasted into a page of another origin (served by Playwright at
/// http://localhost:1/, never reaching the network): the embed posts its height, the snippet's listener (or /embed.js) sizes the iframe to it, and
/// nothing breaks the embed's CSP.</summary>
[Collection(SharedApiServer.Name)]
public sealed class EmbedSnippetBrowserTests(ApiFixture fixture) : IAsyncLifetime
{
    private const string OwnerPage = "http://localhost:1/owner.html";

    private HeadlessChromium? _chromium;

    private IBrowser Browser => _chromium?.Browser ?? throw new InvalidOperationException("Chromium not started.");

    // The owner's page is served by Playwright, which Chromium counts as a public site, and the service listens on
    // loopback: local-network-access checks would block the frame and /embed.js, as they would not for a real site
    // framing a real public Widgetify.
    public async Task InitializeAsync() => _chromium = await HeadlessChromium.LaunchAsync(
        "The embed snippet browser tests",
        "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults");

    public async Task DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }
    }

    public static TheoryData<string, object, string> Snippets => new()
    {
        // counter: sandboxed without allow-same-origin, so its messages come from the opaque origin "null"
        { "counter", new { label = "visits" }, "iframe" },
        { "counter", new { label = "visits" }, "script" },
        // poll: allow-same-origin, so its messages come from the embed's own origin
        { "poll", new { question = "Tea or coffee?", options = (string[])["Tea", "Coffee", "Neither", "Both"] }, "iframe" },
        { "poll", new { question = "Tea or coffee?", options = (string[])["Tea", "Coffee", "Neither", "Both"] }, "script" },
    };

    [Theory]
    [MemberData(nameof(Snippets))]
    public async Task Snippet_PastedInAnotherSitesPage_SizesTheIframeToTheWidget(string kind, object config, string form)
    {
        // Arrange: the owner's page, on its own origin, with the snippet pasted between two paragraphs
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Sized in a browser", kind, config);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/widgets/{widget.Id}/embed");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await tenant.Http.SendAsync(request);
        using var snippet = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var html = $"<!doctype html><html><body><p>Before</p>{snippet.RootElement.GetProperty(form).GetString()}<p>After</p></body></html>";
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = new ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Enqueue(error);
        await page.RouteAsync(OwnerPage, route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html", Body = html }));

        // Act
        await page.GotoAsync(OwnerPage);

        // Assert: the iframe leaves its 120 px placeholder for the height of the widget's content
        IJSHandle sized;
        try
        {
            sized = await page.WaitForFunctionAsync(
                "() => { const f = document.querySelector('iframe[data-widgetify-id]'); return f && f.style.height !== '120px' ? f.style.height : null; }",
                null, new PageWaitForFunctionOptions { Timeout = 20_000 });
        }
        catch (TimeoutException)
        {
            throw new ShouldAssertException(
                $"The iframe kept its placeholder height. Frames: {string.Join(", ", page.Frames.Select(f => f.Url))}; errors: {string.Join(" | ", errors)}; page: {await page.ContentAsync()}");
        }

        var height = int.Parse((await sized.JsonValueAsync<string>()).Replace("px", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        var frame = page.Frames.Single(f => f.Url.Contains($"/w/{widget.Id}", StringComparison.Ordinal));
        var content = await frame.EvaluateAsync<int>("() => Math.ceil(document.documentElement.getBoundingClientRect().height)");
        height.ShouldBe(content, $"the iframe's height follows the widget's ({kind}, {form})");
        height.ShouldBeGreaterThan(20);
        errors.ShouldBeEmpty("no script error and no CSP violation on the page or in the embed");
    }
}
