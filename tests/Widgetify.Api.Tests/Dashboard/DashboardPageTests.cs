using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Widgetify.Api.Tests.Dashboard;

/// <summary>The dashboard page in a real headless Chromium against a real Widgetify, PostgreSQL and standby: what an
/// operator sees, read from the page's own state attributes (data-points, data-last-..., data-markers) rather than
/// pixels.</summary>
public sealed partial class DashboardPageTests(DashboardBrowserFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardBrowserFixture>
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

    // The scaling panels' state: the servers' rows, the autoscaler line, the decisions and each chart's markers.
    private const string ReadScaling = """
        () => {
          const data = (id) => document.getElementById(id).dataset;
          const shown = (id) => (document.getElementById(id).hidden ? '' : document.getElementById(id).textContent.trim());
          return {
            servers: [...document.querySelectorAll('#servers-body tr')].map((row) => ({
              name: row.dataset.name, role: row.dataset.role, state: row.dataset.state,
              badge: row.querySelector('.tag')?.textContent ?? '', text: row.textContent })),
            autoscaler: document.getElementById('autoscaler').textContent, autoscalerEnabled: data('autoscaler').enabled,
            decisions: [...document.querySelectorAll('#decisions li[data-result]')].map((item) => ({
              direction: item.dataset.direction, result: item.dataset.result, title: item.title, text: item.textContent })),
            markers: [...document.querySelectorAll('canvas.chart')].map((canvas) => canvas.dataset.markers),
            ratePoints: data('chart-rate').points,
            serversError: shown('error-servers'), decisionsError: shown('error-decisions'), alertsError: shown('error-alerts'),
          };
        }
        """;

    // The pool review panel's state: when, the counts by severity, the findings' rows and the applied changes.
    private const string ReadReview = """
        () => {
          const shown = (id) => (document.getElementById(id).hidden ? '' : document.getElementById(id).textContent.trim());
          const status = document.getElementById('review-status');
          return {
            state: status.dataset.state, generatedAt: status.dataset.generatedAt, status: status.textContent.trim(),
            counts: Object.fromEntries([...document.querySelectorAll('#numbers-review [data-severity]')]
              .map((node) => [node.dataset.severity, node.dataset.count])),
            findings: [...document.querySelectorAll('#review-findings-body tr[data-severity]')].map((row) => ({
              severity: row.dataset.severity, server: row.dataset.server, setting: row.dataset.setting,
              marked: String(row.classList.contains('critical')), background: getComputedStyle(row.cells[0]).backgroundColor,
              cells: [...row.cells].map((cell) => cell.textContent.trim()) })),
            emptyFindings: document.querySelector('#review-findings-body td.empty')?.textContent ?? '',
            applied: [...document.querySelectorAll('#review-applied li[data-setting]')].map((item) => item.textContent),
            reviewError: shown('error-review'), stale: shown('stale'),
          };
        }
        """;

    [Fact]
    public async Task Open_OperatorKeyWithTraffic_DrawsLiveChartsWithoutErrors()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        await using var traffic = BackgroundTraffic.Start(fixture.Server, widget.Id);
        await using var session = await OperatorPage.CreateAsync(fixture);
        var page = session.Page;
        var watch = PageWatch.Attach(page);

        await session.OpenAsync();
        JsonElement state;
        try
        {
            state = await WaitForAsync(page, ReadState, s =>
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

        await WaitForAsync(page, ReadState, s => Number(s, "ratePoints") >= 1, "the charts show the signals");
        (await page.Locator("#key-form").IsVisibleAsync()).ShouldBeFalse();
    }

    [Fact]
    public async Task Open_PrimaryAndStandby_ShowsBothServersReadyWithRoleStateAndLoad()
    {
        await using var session = await OperatorPage.CreateAsync(fixture);
        var watch = PageWatch.Attach(session.Page);

        await session.OpenAsync();

        var state = await WaitForAsync(session.Page, ReadScaling,
            s => Text(ServerRow(s, "primary"), "state") == "ready" && Text(ServerRow(s, fixture.StandbyName), "state") == "ready",
            "the servers panel shows the primary and the standby ready");
        var primary = ServerRow(state, "primary");
        Text(primary, "role").ShouldBe("primary");
        Text(primary, "badge").ShouldBe("ready", "the state is written, not only coloured");
        var standby = ServerRow(state, fixture.StandbyName);
        Text(standby, "role").ShouldBe("standby");
        Text(standby, "badge").ShouldBe("ready");
        Text(standby, "text").ShouldContain("reads served");
        Text(standby, "text").ShouldContain("connections");
        Text(state, "autoscaler").ShouldContain("autoscaler off");
        Text(state, "autoscaler").ShouldContain("1 standby(s)");
        Text(state, "autoscalerEnabled").ShouldBe("false");
        Text(state, "serversError").ShouldBe("");
        watch.ConsoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task Open_PrimaryOnlyAutoscalerOff_SaysHowToStartStandbys()
    {
        await using var session = await OperatorPage.CreateAsync(fixture);
        // This service's own answer without its standby: what a primary-only deployment answers.
        await RewriteScalingAsync(session.Page, body =>
        {
            var servers = body["servers"]!.AsArray();
            foreach (var standby in servers.Where(s => (string?)s!["role"] != "primary").ToList())
            {
                servers.Remove(standby);
            }
        });

        await session.OpenAsync();

        var state = await WaitForAsync(session.Page, ReadScaling, s => s.GetProperty("servers").GetArrayLength() > 0, "the servers panel shows the primary");
        state.GetProperty("servers").EnumerateArray().ShouldHaveSingleItem().GetProperty("role").GetString().ShouldBe("primary");
        Text(state, "autoscaler").ShouldContain("autoscaler off primary only");
        Text(state, "autoscaler").ShouldContain("./widgetify up --replicas N --max-replicas M");
    }

    [Fact]
    public async Task Open_AutoscalerOn_ShowsBoundsProviderSaturationAndWhoLeads()
    {
        await using var session = await OperatorPage.CreateAsync(fixture);
        // This service's answer as a leader with the autoscaler on would give it.
        await RewriteScalingAsync(session.Page, body => body["autoscaler"] = new JsonObject
        {
            ["enabled"] = true, ["minReplicas"] = 1, ["maxReplicas"] = 3, ["provider"] = "command", ["leading"] = true, ["saturation"] = 0.4217,
        });

        await session.OpenAsync();

        var state = await WaitForAsync(session.Page, ReadScaling, s => Text(s, "autoscalerEnabled") == "true", "the autoscaler line says it is on");
        Text(state, "autoscaler").ShouldBe("autoscaler on 1–3 standbys · provider command · read saturation 0.42 (1 = at target) · this instance runs the loop");
    }

    [Fact]
    public async Task Open_DecisionsRecorded_ListsThemNewestFirstAndMarksEveryChartInTheWindow()
    {
        await ScalingDecisionRows.InsertAsync(
            fixture.Postgres.ConnectionString,
            new DecisionRow(TimeSpan.FromHours(1), "replace", 0, 1, "succeeded", "1 standby(s) died: standby-1", "removed standby-1; added standby-1"),
            new DecisionRow(TimeSpan.FromSeconds(90), "out", 1, 2, "succeeded", "read saturation 1.4 above target for 10 s", "added standby-2"),
            // Markup in the data must stay text.
            new DecisionRow(TimeSpan.FromSeconds(30), "in", 2, 1, "failed", "read saturation 0.2 for 5 min", "drain timed out <img src=x>"));
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        await using var traffic = BackgroundTraffic.Start(fixture.Server, widget.Id);
        await using var session = await OperatorPage.CreateAsync(fixture);
        var watch = PageWatch.Attach(session.Page);

        await session.OpenAsync();

        JsonElement state;
        try
        {
            state = await WaitForAsync(session.Page, ReadScaling,
                s => s.GetProperty("decisions").GetArrayLength() >= 3 && s.GetProperty("markers").EnumerateArray().All(m => m.GetString() == "2"),
                "the decisions are listed and every chart marks the two inside its five minutes (not the hour-old one)");
        }
        finally
        {
            await SaveScreenshotAsync(session.Page, "dashboard-scaling.png");
        }

        var decisions = state.GetProperty("decisions").EnumerateArray().Take(3).ToList();
        decisions.Select(d => Text(d, "direction")).ShouldBe(["in", "out", "out"]);
        decisions.Select(d => Text(d, "result")).ShouldBe(["failed", "succeeded", "succeeded"]);
        Text(decisions[0], "text").ShouldContain("scale in 2 → 1");
        Text(decisions[0], "text").ShouldContain("read saturation 0.2 for 5 min");
        Text(decisions[0], "title").ShouldBe("drain timed out <img src=x>");
        Text(decisions[1], "text").ShouldContain("scale out 1 → 2");
        Text(decisions[2], "text").ShouldContain("replacing dead standbys");
        (await session.Page.Locator("#decisions img").CountAsync()).ShouldBe(0);
        Text(state, "decisionsError").ShouldBe("");
        watch.ConsoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task Open_ScalingEndpointFails_ShowsTheErrorInItsPanelsAndKeepsTheCharts()
    {
        await using var session = await OperatorPage.CreateAsync(fixture);
        await session.Page.RouteAsync(ScalingEndpoint(), route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 500,
            ContentType = "application/problem+json",
            Body = """{"title":"An error occurred while processing your request.","status":500,"detail":"scaling broke in a test"}""",
        }));

        await session.OpenAsync();

        var state = await WaitForAsync(session.Page, ReadScaling,
            s => Number(s, "ratePoints") >= 2 && Text(s, "serversError").Length > 0,
            "the charts go on drawing while the servers panel shows its endpoint's failure");
        Text(state, "serversError").ShouldContain("500");
        Text(state, "serversError").ShouldContain("scaling broke in a test");
        Text(state, "decisionsError").ShouldContain("scaling broke in a test");
        Text(state, "alertsError").ShouldBe("");
        (await session.Page.Locator("#panels").IsVisibleAsync()).ShouldBeTrue("a failing endpoint is not a rejected key");
    }

    [Fact]
    public async Task Open_ReviewCompleted_ShowsTheFindingsTheEndpointReturns()
    {
        await using var session = await OperatorPage.CreateAsync(fixture);
        var watch = PageWatch.Attach(session.Page);
        // The service's own review of its settings at start (the fixture waited for it): the test defaults on a
        // local server give warnings and info findings, no critical one.
        using var review = JsonDocument.Parse(await session.Operator.Http.GetStringAsync("/api/review"));
        var expected = review.RootElement.GetProperty("findings").EnumerateArray().ToList();
        expected.ShouldNotBeEmpty("the review of the test configuration should find something to show");

        await session.OpenAsync();

        JsonElement state;
        try
        {
            state = await WaitForAsync(session.Page, ReadReview,
                s => Text(s, "state") == "ok" && s.GetProperty("findings").GetArrayLength() == expected.Count,
                $"the review panel lists the endpoint's {expected.Count} finding(s)");
        }
        finally
        {
            await SaveScreenshotAsync(session.Page, "dashboard-review.png");
        }

        var rows = state.GetProperty("findings").EnumerateArray().ToList();
        for (var i = 0; i < expected.Count; i++)
        {
            var finding = expected[i];
            Text(rows[i], "severity").ShouldBe(Text(finding, "severity"), $"row {i}: findings keep the endpoint's order, most severe first");
            Text(rows[i], "server").ShouldBe(Text(finding, "server"));
            Text(rows[i], "setting").ShouldBe(Text(finding, "setting"));
            var cells = rows[i].GetProperty("cells").EnumerateArray().Select(c => c.GetString()).ToList();
            cells.ShouldBe([Text(finding, "severity"), Text(finding, "server"), Text(finding, "setting"),
                $"{Shown(finding.GetProperty("current"), "unset")} → {Shown(finding.GetProperty("recommended"), "no value recommended")}",
                Text(finding, "reason")]);
            Text(rows[i], "marked").ShouldBe("false", "only critical rows are marked");
        }

        foreach (var severity in new[] { "critical", "warning", "info" })
        {
            state.GetProperty("counts").GetProperty(severity).GetString()
                .ShouldBe(expected.Count(f => Text(f, "severity") == severity).ToString(CultureInfo.InvariantCulture), $"the {severity} count");
        }

        Text(state, "generatedAt").ShouldBe(review.RootElement.GetProperty("generatedAt").GetString());
        Text(state, "status").ShouldContain("reviewed ");
        Text(state, "status").ShouldContain("next review ");
        Text(state, "reviewError").ShouldBe("");
        Text(state, "stale").ShouldBe("");
        state.GetProperty("applied").GetArrayLength().ShouldBe(review.RootElement.GetProperty("applied").GetArrayLength());

        // Read on load and every 30 s, not every second like the alerts: five polls of /api/alerts, one of the review.
        await BoundedWait.UntilAsync(
            () => watch.Requests.Count(u => u.Contains("/api/alerts", StringComparison.Ordinal)) >= 5,
            () => string.Join(", ", watch.Requests), "the page polled /api/alerts five times", Bound);
        watch.Requests.Count(u => u.Contains("/api/review", StringComparison.Ordinal)).ShouldBe(1);
        watch.ConsoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task Open_CriticalFindingAndAppliedChange_MarksTheRowAndListsTheChange()
    {
        await using var session = await OperatorPage.CreateAsync(fixture);
        var appliedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        // This service's own answer, with what the Feb 15 configuration and an --apply would add to it. Markup in the
        // data must stay text.
        await RewriteJsonAsync(session.Page, ReviewEndpoint(), body =>
        {
            body["findings"]!.AsArray().Insert(0, new JsonObject
            {
                ["severity"] = "critical", ["server"] = "primary", ["setting"] = "Database:MaxPoolSize", ["current"] = 1000, ["recommended"] = 27,
                ["reason"] = "3 instance(s) x (Max Pool Size 1000 + 1) = 3003 > 97 <img src=x>",
            });
            body["applied"] = new JsonArray(new JsonObject
            {
                ["setting"] = "Database:MaxPoolSize", ["server"] = "primary", ["from"] = 1000, ["to"] = 27,
                ["at"] = appliedAt.ToString("O", CultureInfo.InvariantCulture), ["by"] = "ops@bastion", ["source"] = "widgetify review --apply",
            });
        });

        await session.OpenAsync();

        var state = await WaitForAsync(session.Page, ReadReview,
            s => s.GetProperty("findings").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first && Text(first, "severity") == "critical",
            "the review panel lists the critical finding first");
        var rows = state.GetProperty("findings").EnumerateArray().ToList();
        var critical = rows[0];
        Text(critical, "marked").ShouldBe("true");
        critical.GetProperty("cells").EnumerateArray().Select(c => c.GetString()).ShouldBe(
            ["critical", "primary", "Database:MaxPoolSize", "1000 → 27", "3 instance(s) x (Max Pool Size 1000 + 1) = 3003 > 97 <img src=x>"]);
        Text(critical, "background").ShouldNotBe(Text(rows[1], "background"), "a critical row stands out from the others, beside its word");
        state.GetProperty("counts").GetProperty("critical").GetString().ShouldBe("1");
        var applied = state.GetProperty("applied").EnumerateArray().Select(a => a.GetString() ?? "").ShouldHaveSingleItem();
        applied.ShouldContain("Database:MaxPoolSize");
        applied.ShouldContain("on primary: 1000 → 27");
        applied.ShouldContain("by ops@bastion");
        applied.ShouldContain("5m");
        (await session.Page.Locator("#review-findings img").CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Open_NoReviewYet_ShowsWhyAndAsksAgainWhenTold()
    {
        await using var session = await OperatorPage.CreateAsync(fixture);
        var watch = PageWatch.Attach(session.Page);
        const string Detail = "The first review of the pool settings could not run (a test says so); it is retried in 2 s.";
        await session.Page.RouteAsync(ReviewEndpoint(), route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 503,
            ContentType = "application/problem+json",
            Headers = new Dictionary<string, string> { ["Retry-After"] = "2" },
            Body = JsonSerializer.Serialize(new { title = "No pool review yet", status = 503, detail = Detail }),
        }));

        await session.OpenAsync();

        var state = await WaitForAsync(session.Page, ReadReview, s => Text(s, "state") == "pending", "the review panel says no review has completed");
        Text(state, "status").ShouldContain(Detail);
        Text(state, "emptyFindings").ShouldBe("No review yet.");
        Text(state, "reviewError").ShouldBe("", "a review not run yet is the panel's state, not a failure to read it");
        Text(state, "stale").ShouldBe("");
        // Retry-After 2 s, not the 30 s a completed report waits.
        await BoundedWait.UntilAsync(
            () => watch.Requests.Count(u => u.Contains("/api/review", StringComparison.Ordinal)) >= 2,
            () => string.Join(", ", watch.Requests.Where(u => u.Contains("/api/review", StringComparison.Ordinal))),
            "the page asked for the review again as Retry-After said", TimeSpan.FromSeconds(20));
    }

    /// <summary>Serves the page this service's own <c>/api/scaling</c> answer, changed by <paramref name="rewrite"/>:
    /// for what the service cannot be made to answer here (no standby, the autoscaler on).</summary>
    private static Task RewriteScalingAsync(IPage page, Action<JsonObject> rewrite) => RewriteJsonAsync(page, ScalingEndpoint(), rewrite);

    /// <summary>Serves the page this service's own answer at <paramref name="endpoint"/>, changed by <paramref name="rewrite"/>.</summary>
    private static async Task RewriteJsonAsync(IPage page, Regex endpoint, Action<JsonObject> rewrite) =>
        await page.RouteAsync(endpoint, async route =>
        {
            var response = await route.FetchAsync();
            var body = JsonNode.Parse(await response.TextAsync())!.AsObject();
            rewrite(body);
            await route.FulfillAsync(new RouteFulfillOptions { Status = response.Status, ContentType = "application/json", Body = body.ToJsonString() });
        });

    private string DashboardUrl(string fragment) => new Uri(fixture.Server.BaseAddress, "/dashboard") + fragment;


    [GeneratedRegex("/api/scaling")]
    private static partial Regex ScalingEndpoint();

    [GeneratedRegex("/api/review")]
    private static partial Regex ReviewEndpoint();

    private static async Task<JsonElement> WaitForAsync(IPage page, string readState, Func<JsonElement, bool> done, string because)
    {
        var state = default(JsonElement);
        await BoundedWait.UntilAsync(
            async () => done(state = await page.EvaluateAsync<JsonElement>(readState)),
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

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value.GetString() ?? "" : "";

    /// <summary>A setting's value as the review panel writes it: numbers, strings and booleans as JSON has them.</summary>
    private static string Shown(JsonElement value, string whenNull) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => whenNull,
        JsonValueKind.String => value.GetString()!,
        _ => value.GetRawText(),
    };

    /// <summary>The servers panel's row of <paramref name="name"/>; Undefined when there is none.</summary>
    private static JsonElement ServerRow(JsonElement state, string name) =>
        state.GetProperty("servers").EnumerateArray().FirstOrDefault(row => Text(row, "name") == name);

    private async Task SaveScreenshotAsync(IPage page, string name = "dashboard.png")
    {
        var path = Path.Combine(Repository.Root, "artifacts", "screenshots", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        var attached = Path.Combine(AppContext.BaseDirectory, "screenshots", name);
        Directory.CreateDirectory(Path.GetDirectoryName(attached)!);
        File.Copy(path, attached, overwrite: true);
        output.WriteLine($"screenshot: {path} (copy: {attached})");
    }

    /// <summary>A new operator key and a fresh browser context with one page, disposed together; <see cref="OpenAsync"/>
    /// opens the dashboard with the key in the fragment, as <c>./widgetify up</c>'s link does.</summary>
    private sealed class OperatorPage : IAsyncDisposable
    {
        private readonly TenantClient _operator;
        private readonly IBrowserContext _context;
        private readonly Uri _dashboard;

        private OperatorPage(TenantClient operatorClient, IBrowserContext context, IPage page, Uri dashboard)
        {
            _operator = operatorClient;
            _context = context;
            _dashboard = dashboard;
            Page = page;
        }

        public IPage Page { get; }

        /// <summary>The operator whose key the page uses, for reading the same endpoints from the test.</summary>
        public TenantClient Operator => _operator;

        public static async Task<OperatorPage> CreateAsync(DashboardBrowserFixture fixture)
        {
            var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);
            var context = await fixture.NewContextAsync();
            return new OperatorPage(operatorClient, context, await context.NewPageAsync(), new Uri(fixture.Server.BaseAddress, "/dashboard"));
        }

        public async Task OpenAsync() => await Page.GotoAsync(_dashboard + "#key=" + Uri.EscapeDataString(_operator.Key));

        public async ValueTask DisposeAsync()
        {
            await _context.DisposeAsync();
            _operator.Dispose();
        }
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
