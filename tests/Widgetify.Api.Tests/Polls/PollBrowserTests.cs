using System.Collections.Concurrent;
using Microsoft.Playwright;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Polls;

/// <summary>A poll embed in the system's headless Chromium, under its real Content-Security-Policy: the form's
/// enhancement script votes with fetch and shows the results in place, so a hash or a connect-src that did not match
/// would show as a console error and a page load instead.</summary>
[Collection(SharedApiServer.Name)]
public sealed class PollBrowserTests(ApiFixture fixture) : IAsyncLifetime
{
    private HeadlessChromium? _chromium;

    private IBrowser Browser => _chromium?.Browser ?? throw new InvalidOperationException("Chromium not started.");

    public async Task InitializeAsync() => _chromium = await HeadlessChromium.LaunchAsync("The poll browser test");

    public async Task DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }
    }

    [Fact]
    public async Task Vote_InChromiumWithScript_ResultsReplaceTheFormWithoutAPageLoadOrCspViolation()
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "Tea or coffee?", options = (string[])["Tea", "Coffee"] });
        var page = await Browser.NewPageAsync();
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
