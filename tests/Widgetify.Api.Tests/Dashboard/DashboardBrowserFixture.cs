using System.Net;
using Microsoft.Playwright;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Api.Tests.Dashboard;

/// <summary>A dedicated PostgreSQL with one real streaming standby and a Widgetify reading from both (its monitoring
/// must see only this class's traffic; the servers panel has a standby to show), and the system's headless Chromium,
/// driven by Playwright. Playwright's own browser download is never used: the Debian <c>chromium</c> package provides
/// the browser.</summary>
public sealed class DashboardBrowserFixture : IAsyncLifetime, IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private TestPostgres? _postgres;
    private LocalStandbys? _standbys;
    private WidgetifyServer? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public TestPostgres Postgres => _postgres ?? throw new InvalidOperationException("Fixture not started.");

    public WidgetifyServer Server => _server ?? throw new InvalidOperationException("Fixture not started.");

    /// <summary>The standby's name, as <c>/api/scaling</c> and the servers panel give it.</summary>
    public string StandbyName { get; private set; } = "";

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"The dashboard browser tests need Chromium at {ChromiumPath}: apt-get install -y chromium fonts-dejavu-core.");
        }

        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync(); // whatever did start must not outlive a fixture that failed
            throw;
        }
    }

    private async Task StartAsync()
    {
        _postgres = await TestPostgres.StartAsync();
        _standbys = new LocalStandbys(_postgres.Cluster);
        var outcome = await _standbys.EnsureAsync(1);
        if (outcome.Failures.Count > 0)
        {
            throw new InvalidOperationException("The standby did not start: " + string.Join("; ", outcome.Failures.Select(f => f.Reason)));
        }

        var standby = _standbys.Standbys.ShouldHaveSingleItem();
        StandbyName = standby.Name;
        _server = await WidgetifyServer.StartAsync(_postgres, new Dictionary<string, string?>
        {
            ["Widgetify:Database:Replicas:0:ConnectionString"] = standby.AppConnectionString,
            ["Widgetify:Database:Replicas:0:Name"] = standby.Name,
        });
        await WaitForFirstReviewAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Tests run as root, where Chromium refuses to start with its sandbox.
            Args = ["--no-sandbox"],
        });
    }

    /// <summary>The service reviews its pool settings at start, and GET /api/review answers 503 until that review
    /// completes, which the browser logs as a failed load: every page opens on a completed review, so that only a test
    /// that wants the 503 sees one.</summary>
    private async Task WaitForFirstReviewAsync()
    {
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        var last = "nothing yet";
        await BoundedWait.UntilAsync(
            async () =>
            {
                using var response = await operatorClient.Http.GetAsync("/api/review");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                return response.StatusCode == HttpStatusCode.OK;
            },
            () => last,
            "the service's first pool review completes (GET /api/review answers 200)",
            TimeSpan.FromSeconds(60));
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
        // The service first, then the standby, then the primary it follows.
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_standbys is not null)
        {
            await _standbys.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());
}
