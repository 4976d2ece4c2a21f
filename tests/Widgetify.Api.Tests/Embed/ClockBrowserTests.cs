using System.Collections.Concurrent;
using Microsoft.Playwright;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Embed;

/// <summary>A clock embed in the system's headless Chromium (as the dashboard's tests drive it): the browser runs the
/// inline script under the page's real Content-Security-Policy, so a hash that did not match would show as a console
/// error and a time that never moves.</summary>
[Collection(SharedApiServer.Name)]
public sealed class ClockBrowserTests(ApiFixture fixture) : IAsyncLifetime
{
    private HeadlessChromium? _chromium;

    private IBrowser Browser => _chromium?.Browser ?? throw new InvalidOperationException("Chromium not started.");

    public async Task InitializeAsync() => _chromium = await HeadlessChromium.LaunchAsync("The clock browser test");

    public async Task DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }
    }

    [Fact]
    public async Task Clock_InChromium_TicksWithoutAnyCspViolation()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var clock = await tenant.Http.CreateWidgetAsync("Tokyo", "clock", new { timeZone = "Asia/Tokyo" });
        var page = await Browser.NewPageAsync();
        var console = new ConcurrentQueue<string>();
        page.Console += (_, message) => console.Enqueue($"{message.Type}: {message.Text}");
        page.PageError += (_, error) => console.Enqueue("pageerror: " + error);

        await page.GotoAsync(new Uri(fixture.Server.BaseAddress, $"/w/{clock.Id}").AbsoluteUri);
        var served = await page.TextContentAsync("time[data-time-zone]");
        var seen = served;
        await BoundedWait.UntilAsync(
            async () => (seen = await page.TextContentAsync("time[data-time-zone]")) != served,
            () => $"time text still '{seen}' (served '{served}'); console: {string.Join(" | ", console)}",
            "the clock's script ticks the time shown",
            TimeSpan.FromSeconds(15));

        seen.ShouldNotBeNull().ShouldMatch(@"^\d{2}:\d{2}:\d{2}$");
        var tokyo = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"));
        int.Parse(seen[..2], System.Globalization.CultureInfo.InvariantCulture).ShouldBeOneOf(tokyo.Hour, (tokyo.Hour + 23) % 24, (tokyo.Hour + 1) % 24);
        console.ShouldBeEmpty("no CSP violation (nor any other error) in the console");
    }
}
