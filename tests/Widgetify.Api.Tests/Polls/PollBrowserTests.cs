using System.Collections.Concurrent;
using Microsoft.Playwright;
using Widgetify.Api.Tests.Dashboard;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Polls;

/// <summary>A poll embed in the system's headless Chromium, under its real Content-Security-Policy: the form's
/// enhancement script votes with fetch and shows the results in place, so a hash or a connect-src that did not match
/// would show as a console error and a page load instead.</summary>
[Collection(SharedApiServer.Name)]
public sealed class PollBrowserTests(ApiFixture fixture) : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (!File.Exists(DashboardBrowserFixture.ChromiumPath))
        {
            throw new InvalidOperationException($"The poll browser test needs Chromium at {DashboardBrowserFixture.ChromiumPath}: apt-get install -y chromium fonts-dejavu-core.");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = DashboardBrowserFixture.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox"], // tests run as root, where Chromium refuses to start with its sandbox
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    [Fact]
    public async Task Vote_InChromiumWithScript_ResultsReplaceTheFormWithoutAPageLoadOrCspViolation()
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "Tea or coffee?", options = (string[])["Tea", "Coffee"] });
        var page = await _browser!.NewPageAsync();
        var console = new ConcurrentQueue<string>();
        page.Console += (_, message) => console.Enqueue($"{message.Type}: {message.Text}");
        page.PageError += (_, error) => console.Enqueue("pageerror: " + error);
        var loads = 0;
        page.Load += (_, _) => Interlocked.Increment(ref loads);
        await page.GotoAsync(new Uri(fixture.Server.BaseAddress, $"/w/{poll.Id}").AbsoluteUri);
        await page.EvaluateAsync("() => { window.sameDocument = true; }");

        // Act
        await page.CheckAsync("input[name=option][value='1']");
        await page.ClickAsync("form[data-vote] button");

        // Assert: the results are shown in the same document (a form submission would have loaded a new one)
        await BoundedWait.UntilAsync(
            async () => await page.QuerySelectorAsync(".results") is not null,
            () => $"no results; console: {string.Join(" | ", console)}",
            "the enhanced form shows the results after the vote",
            TimeSpan.FromSeconds(15));
        (await page.EvaluateAsync<bool>("() => window.sameDocument === true")).ShouldBeTrue("the vote was sent by the script, not by a page load");
        Volatile.Read(ref loads).ShouldBe(1);
        (await page.TextContentAsync(".your-vote")).ShouldNotBeNull().ShouldContain("Coffee");
        (await page.QuerySelectorAsync("form[data-vote]")).ShouldBeNull();
        console.ShouldBeEmpty("no CSP violation (nor any other error) in the console");
    }
}
