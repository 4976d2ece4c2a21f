using Microsoft.Playwright;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Dashboard;

/// <summary>A dedicated PostgreSQL and Widgetify (their monitoring must see only this class's traffic) and the
/// system's headless Chromium, driven by Playwright. Playwright's own browser download is never used: the Debian
/// <c>chromium</c> package provides the browser.</summary>
public sealed class DashboardBrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private DedicatedServer? _dedicated;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public WidgetifyServer Server => _dedicated?.Server ?? throw new InvalidOperationException("Fixture not started.");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"The dashboard browser tests need Chromium at {ChromiumPath}: apt-get install -y chromium fonts-dejavu-core.");
        }

        _dedicated = await DedicatedServer.StartAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Tests run as root, where Chromium refuses to start with its sandbox.
            Args = ["--no-sandbox"],
        });
    }

    /// <summary>A fresh browser context (own sessionStorage) at the size the dashboard is designed for.</summary>
    public Task<IBrowserContext> NewContextAsync() =>
        Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }
}
