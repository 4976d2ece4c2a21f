using Microsoft.Playwright;
using Widgetify.Api.Tests.Dashboard;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>The system's headless Chromium (Debian's, by path) driven by Playwright, for the embed tests that must see
/// what a browser does with a page: run its scripts under its real Content-Security-Policy, post its forms, frame it.</summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    /// <summary>Starts it; fails saying how to install Chromium when it is missing.</summary>
    /// <param name="needs">Who needs it, for that message, e.g. "The clock browser test".</param>
    /// <param name="extraArguments">Chromium switches beyond <c>--no-sandbox</c>.</param>
    public static async Task<HeadlessChromium> LaunchAsync(string needs, params string[] extraArguments)
    {
        if (!File.Exists(DashboardBrowserFixture.ChromiumPath))
        {
            throw new InvalidOperationException($"{needs} needs Chromium at {DashboardBrowserFixture.ChromiumPath}: apt-get install -y chromium fonts-dejavu-core.");
        }

        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = DashboardBrowserFixture.ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", .. extraArguments], // tests run as root, where Chromium refuses to start with its sandbox
            });
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
