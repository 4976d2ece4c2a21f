using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Widgetify.Api.Tests.Dashboard;

/// <summary>The dashboard page in a real headless Chromium against a real Widgetify and PostgreSQL: what an
/// operator sees, read from the page's own state attributes (data-points, data-last-...) rather than pixels.</summary>
public sealed class DashboardPageTests(DashboardBrowserFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardBrowserFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    // The page's state in one round trip; the test waits on it and reports it when the wait fails.
    private const string ReadState = """
        () => {
          const data = (id) => document.getElementById(id).dataset;
          const text = (id) => document.getElementById(id).textContent.trim();
          return {
            ratePoints: data('chart-rate').points, rateLast: data('chart-rate').last,
            poolPoints: data('chart-pool').points, poolShare: data('chart-pool').lastShare ?? '',
            rateNumbers: text('numbers-rate'), instance: text('instance'), status: text('status'),
            stale: document.getElementById('stale').hidden ? '' : text('stale'),
            alertsError: text('error-alerts'), incidentsError: text('error-incidents'),
          };
        }
        """;

    [Fact]
    public async Task Open_OperatorKeyWithTraffic_DrawsLiveChartsWithoutErrors()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        using var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);
        await using var traffic = BackgroundTraffic.Start(fixture.Server, widget.Id);
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page);

        await page.GotoAsync(DashboardUrl("#key=" + Uri.EscapeDataString(operatorClient.Key)));
        JsonElement state;
        try
        {
            state = await WaitForStateAsync(page, s =>
                Number(s, "ratePoints") >= 3 && Number(s, "rateLast") > 0 && Number(s, "poolShare") > 0,
                "the request-rate chart has 3+ points with a non-zero last value and the pool chart shows a share");
        }
        catch (ShouldAssertException)
        {
            // Tells a page that draws nothing apart from a service that counted nothing.
            output.WriteLine($"requests sent by the test: {traffic.Sent}");
            throw;
        }
        finally
        {
            // Also when the wait fails: the picture shows what the operator would have seen instead.
            await SaveScreenshotAsync(page);
        }

        output.WriteLine($"state: {state}; requests sent: {traffic.Sent}");
        watch.ConsoleErrors.ShouldBeEmpty();
        watch.FailedRequests.ShouldBeEmpty();
        var origin = fixture.Server.BaseAddress.GetLeftPart(UriPartial.Authority);
        watch.Requests.ShouldAllBe(url => url.StartsWith(origin + "/", StringComparison.Ordinal));
        state.GetProperty("stale").GetString().ShouldBe("", "every endpoint answered");
        state.GetProperty("rateNumbers").GetString().ShouldNotBeNull().ShouldContain("/s");
        state.GetProperty("instance").GetString().ShouldNotBe("–");
        page.Url.ShouldNotContain("key=", customMessage: "the key must leave the address bar");
    }

    [Fact]
    public async Task Open_UnknownKey_ShowsRejectedAndTheKeyForm()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(DashboardUrl("#key=" + ApiKey.Generate()));

        await WaitForRejectionAsync(page);
        (await page.Locator("#panels").IsVisibleAsync()).ShouldBeFalse();
        (await page.EvaluateAsync<string?>("() => sessionStorage.getItem('widgetify.operatorKey')")).ShouldBeNull("a rejected key is forgotten");
    }

    [Fact]
    public async Task Open_TenantKey_ShowsRejectedAsNotAnOperatorKey()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(DashboardUrl("#key=" + Uri.EscapeDataString(tenant.Key)));

        var message = await WaitForRejectionAsync(page);
        message.ShouldContain("not an operator key");
    }

    [Fact]
    public async Task KeyForm_OperatorKeyEntered_StartsPolling()
    {
        using var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(DashboardUrl(""));
        (await page.Locator("#key-form").IsVisibleAsync()).ShouldBeTrue("without a key the page asks for one");

        await page.Locator("#key-input").FillAsync(operatorClient.Key);
        await page.Locator("#key-form button[type=submit]").ClickAsync();

        await WaitForStateAsync(page, s => Number(s, "ratePoints") >= 1, "the charts show the signals");
        (await page.Locator("#key-form").IsVisibleAsync()).ShouldBeFalse();
    }

    private string DashboardUrl(string fragment) => new Uri(fixture.Server.BaseAddress, "/dashboard") + fragment;

    private static async Task<JsonElement> WaitForStateAsync(IPage page, Func<JsonElement, bool> done, string because)
    {
        var state = default(JsonElement);
        await BoundedWait.UntilAsync(
            async () => done(state = await page.EvaluateAsync<JsonElement>(ReadState)),
            () => state.ValueKind == JsonValueKind.Undefined ? "nothing yet" : state.ToString(),
            because,
            Bound);
        return state;
    }

    private static async Task<string> WaitForRejectionAsync(IPage page)
    {
        var message = "";
        await BoundedWait.UntilAsync(
            async () => (message = await page.Locator("#key-message").TextContentAsync() ?? "").Contains("operator key rejected", StringComparison.OrdinalIgnoreCase)
                && await page.Locator("#key-form").IsVisibleAsync(),
            () => $"key message '{message}'",
            "the page says the operator key was rejected and shows the key form again",
            Bound);
        return message;
    }

    private static double Number(JsonElement state, string name) =>
        double.TryParse(state.GetProperty(name).GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;

    private async Task SaveScreenshotAsync(IPage page)
    {
        var path = Path.Combine(Repository.Root, "artifacts", "screenshots", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        var attached = Path.Combine(AppContext.BaseDirectory, "screenshots", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(attached)!);
        File.Copy(path, attached, overwrite: true);
        output.WriteLine($"screenshot: {path} (copy: {attached})");
    }

    /// <summary>Everything the page logs as an error and every request it makes, collected from Playwright's events.</summary>
    private sealed class PageWatch
    {
        public ConcurrentQueue<string> ConsoleErrors { get; } = new();

        public ConcurrentQueue<string> FailedRequests { get; } = new();

        public ConcurrentQueue<string> Requests { get; } = new();

        public static PageWatch Attach(IPage page)
        {
            var watch = new PageWatch();
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    watch.ConsoleErrors.Enqueue($"{message.Text} ({message.Location})");
                }
            };
            page.PageError += (_, error) => watch.ConsoleErrors.Enqueue(error);
            page.Request += (_, request) => watch.Requests.Enqueue(request.Url);
            page.RequestFailed += (_, request) => watch.FailedRequests.Enqueue($"{request.Url}: {request.Failure}");
            return watch;
        }
    }
}
