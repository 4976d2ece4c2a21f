using System.Net;
using System.Text.Json;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Api.Auth;
using Widgetify.Api.Review;
using Widgetify.Api.Data;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Incidents.Lifecycle;
using Widgetify.PoolReview;
using Widgetify.PoolReview.Rules;
using Widgetify.Overload.PoolGovernance;
using Widgetify.PoolReview.Applied;

namespace Widgetify.Api.Tests.Review;

/// <summary>The service reviewing its own pool settings (issue 12): the report at <c>GET /api/review</c> and in the
/// findings metric, and settings applied by <c>./widgetify review --apply</c> (in PostgreSQL, in the data folder's file)
/// changing the running pool without a restart. Each test has its own PostgreSQL (max_connections 100): the settings
/// and the applied rows must not leak into other tests.</summary>
public sealed class PoolReviewInServiceTests
{
    // The Feb 15 configuration: a pool of 1000 per instance against max_connections 100.
    private static readonly Dictionary<string, string?> Feb15 = new() { ["Widgetify:Database:MaxPoolSize"] = "1000" };

    [Fact]
    public async Task GetReview_Feb15Configuration_CriticalFindingInTheDocumentAndTheMetric()
    {
        // Arrange
        await using var dedicated = await DedicatedServer.StartAsync(settings: Feb15);
        var server = dedicated.Server;
        using var operators = await server.CreateTenantAsync(ApiKeyRole.Operator);
        await Loop(server).RunOnceAsync(DateTimeOffset.UtcNow.AddDays(1), CancellationToken.None);

        // Act
        using var response = await operators.Http.GetAsync("/api/review");
        var metrics = await server.CreateClient().GetStringAsync("/metrics");

        // Assert: one instance leased, 97 accepted, 10 kept for others: (97 - 10 - 2 own connections (control, listener)
        // - 2 seats for a newcomer's) / 1 = 83 fits.
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        root.GetProperty("instances").GetInt32().ShouldBe(1);
        var critical = root.GetProperty("findings")[0];
        critical.GetProperty("severity").GetString().ShouldBe("critical");
        critical.GetProperty("setting").GetString().ShouldBe("Database:MaxPoolSize");
        critical.GetProperty("current").GetInt32().ShouldBe(1000);
        critical.GetProperty("recommended").GetInt32().ShouldBe(83);
        root.GetProperty("applied").GetArrayLength().ShouldBe(0);
        root.GetProperty("nextReviewAt").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.UtcNow);
        metrics.ShouldContain("widgetify_pool_review_findings{severity=\"critical\"");
        metrics.Split('\n').ShouldContain(line => line.StartsWith("widgetify_pool_review_findings{severity=\"critical\"", StringComparison.Ordinal) && line.EndsWith(" 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetReview_WithoutAnOperatorKey_IsRefused()
    {
        // Arrange
        await using var dedicated = await DedicatedServer.StartAsync();
        using var tenant = await dedicated.Server.CreateTenantAsync();

        // Act
        using var anonymous = await dedicated.Server.CreateClient().GetAsync("/api/review");
        using var notOperator = await tenant.Http.GetAsync("/api/review");

        // Assert
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        notOperator.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task GetReview_ReviewDisabled_NotFoundSayingHowToReview()
    {
        // Arrange
        await using var dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?> { ["Widgetify:Review:Enabled"] = "false" });
        using var operators = await dedicated.Server.CreateTenantAsync(ApiKeyRole.Operator);

        // Act
        using var response = await operators.Http.GetAsync("/api/review");

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.Content.ReadAsStringAsync()).ShouldContain("./widgetify review");
    }

    [Fact]
    public async Task GetReview_AStandbyItReadsIsUnreachable_503SaysWhatHappenedWithoutItsAddress()
    {
        // Arrange: a configured standby nothing listens for, so the first review cannot read it.
        await using var dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Widgetify:Database:Replicas:0:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=widgetify;Password=hunter2;Database=secretdb;Timeout=2",
            ["Widgetify:Database:Replicas:0:Name"] = "standby-x",
        });
        using var operators = await dedicated.Server.CreateTenantAsync(ApiKeyRole.Operator);
        var latest = dedicated.Server.Services.GetRequiredService<LatestPoolReview>();
        await BoundedWait.UntilAsync(() => latest.Current.LastError is not null, () => "no attempt yet", "the first review fails");

        // Act
        using var response = await operators.Http.GetAsync("/api/review");

        // Assert: what happened and what to do, never the host, port, database or Npgsql's words.
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull();
        var detail = problem.ShouldNotRevealInternals(":1", "secretdb", "hunter2", "standby-x", "Failed to connect", "refused");
        detail.ShouldContain("did not answer");
        detail.ShouldContain("log");
    }

    [Fact]
    public async Task AppliedInPostgres_ChangesTheRunningPoolWithoutARestart_AndUndoingRestoresIt()
    {
        // Arrange: the service runs with the Feb 15 pool, clamped to its share of the budget: 100 - 3 - 10 = 87, less its
        // 2 own connections (control, listener) and 2 seats for a newcomer's = 83.
        await using var dedicated = await DedicatedServer.StartAsync(settings: Feb15);
        var server = dedicated.Server;
        var governor = server.Services.GetRequiredService<PoolGovernor>();
        governor.Current.ConfiguredMaxPoolSize.ShouldBe(1000);
        governor.Current.Share.ShouldBe(83);
        await using var own = NpgsqlDataSource.Create(dedicated.Postgres.ConnectionString);
        await new AppliedSettingsTable(own).RecordAsync(
            [new AppliedSetting(RunTimeSettings.MaxPoolSize, "primary", 1000, 7, DateTimeOffset.UtcNow, "test", "the Feb 15 pool")], CancellationToken.None);

        // Act: one poll of the watcher (it polls every Review:AppliedSettingsPollInterval).
        await Watcher(server).PollAsync(CancellationToken.None);

        // Assert: the same process, a new size, in effect now (the lease was renewed with it).
        governor.Current.ConfiguredMaxPoolSize.ShouldBe(7);
        governor.Current.Share.ShouldBe(7);
        var ready = await server.CreateClient().GetStringAsync("/health/ready");
        ready.ShouldContain("Max Pool Size 7 configured");

        // Act: the row removed (an operator's undo): the configured size comes back.
        await using (var delete = own.CreateCommand($"DELETE FROM {AppliedSettingsTable.Name}"))
        {
            await delete.ExecuteNonQueryAsync();
        }

        await Watcher(server).PollAsync(CancellationToken.None);

        // Assert
        governor.Current.ConfiguredMaxPoolSize.ShouldBe(1000);
        governor.Current.Share.ShouldBe(83);
    }

    [Fact]
    public async Task AppliedInPostgres_EveryInstanceOfAFleetTakesIt()
    {
        // Arrange: two instances on one server, each with the Feb 15 pool; the budget splits the server between them.
        await using var dedicated = await DedicatedServer.StartAsync(settings: Feb15);
        await using var second = await WidgetifyServer.StartAsync(dedicated.Postgres, Feb15);
        await using var own = NpgsqlDataSource.Create(dedicated.Postgres.ConnectionString);
        await new AppliedSettingsTable(own).RecordAsync(
            [new AppliedSetting(RunTimeSettings.MaxPoolSize, "primary", 1000, 9, DateTimeOffset.UtcNow, "test", "the Feb 15 pool")], CancellationToken.None);

        // Act: each instance's next poll.
        await Watcher(dedicated.Server).PollAsync(CancellationToken.None);
        await Watcher(second).PollAsync(CancellationToken.None);

        // Assert
        foreach (var server in new[] { dedicated.Server, second })
        {
            var governor = server.Services.GetRequiredService<PoolGovernor>();
            governor.Current.ConfiguredMaxPoolSize.ShouldBe(9);
            governor.Current.Share.ShouldBeLessThanOrEqualTo(9);
        }
    }

    [Fact]
    public async Task AppliedInTheFile_WinsOverPostgres_AndABrokenFileKeepsTheLastGoodValue()
    {
        // Arrange
        var file = Path.Combine(Path.GetTempPath(), $"widgetify-reviewed-{Guid.NewGuid():N}.json");
        try
        {
            await using var dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
            {
                ["Widgetify:Database:MaxPoolSize"] = "1000",
                ["Widgetify:Review:SettingsFile"] = file,
            });
            var server = dedicated.Server;
            var governor = server.Services.GetRequiredService<PoolGovernor>();
            await using var own = NpgsqlDataSource.Create(dedicated.Postgres.ConnectionString);
            await new AppliedSettingsTable(own).RecordAsync(
                [new AppliedSetting(RunTimeSettings.MaxPoolSize, "primary", 1000, 20, DateTimeOffset.UtcNow, "test", "fleet value")], CancellationToken.None);
            ReviewedSettingsFile.Write(file, [new AppliedSetting(RunTimeSettings.MaxPoolSize, "primary", 1000, 12, DateTimeOffset.UtcNow, "test", "local value")]);

            // Act
            await Watcher(server).PollAsync(CancellationToken.None);

            // Assert: the file is this instance's own, and wins.
            governor.Current.ConfiguredMaxPoolSize.ShouldBe(12);

            // Act: a hand edit breaks the file.
            await File.WriteAllTextAsync(file, """{"Widgetify": {"Database": {"MaxPoolSize": """);
            await Watcher(server).PollAsync(CancellationToken.None);

            // Assert: the last good value stays rather than falling back to 1000.
            governor.Current.ConfiguredMaxPoolSize.ShouldBe(12);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Review_AfterAnAppliedChange_JudgesTheNewSizeAndListsTheChange()
    {
        // Arrange
        await using var dedicated = await DedicatedServer.StartAsync(settings: Feb15);
        var server = dedicated.Server;
        using var operators = await server.CreateTenantAsync(ApiKeyRole.Operator);
        await using var own = NpgsqlDataSource.Create(dedicated.Postgres.ConnectionString);
        await new AppliedSettingsTable(own).RecordAsync(
            [new AppliedSetting(RunTimeSettings.MaxPoolSize, "primary", 1000, 40, DateTimeOffset.UtcNow, "test", "the Feb 15 pool")], CancellationToken.None);
        await Watcher(server).PollAsync(CancellationToken.None);

        // Act
        await Loop(server).RunOnceAsync(DateTimeOffset.UtcNow.AddDays(1), CancellationToken.None);
        using var document = JsonDocument.Parse(await operators.Http.GetStringAsync("/api/review"));

        // Assert
        var root = document.RootElement;
        root.GetProperty("servers")[0].GetProperty("maxPoolSize").GetInt32().ShouldBe(40);
        root.GetProperty("findings").EnumerateArray().ShouldNotContain(f => f.GetProperty("severity").GetString() == "critical");
        var applied = root.GetProperty("applied")[0];
        applied.GetProperty("setting").GetString().ShouldBe("Database:MaxPoolSize");
        applied.GetProperty("from").GetInt32().ShouldBe(1000);
        applied.GetProperty("to").GetInt32().ShouldBe(40);
    }

    [Fact]
    public async Task Loop_ReviewsAtStartThenEveryInterval_OnItsClock()
    {
        // Arrange: the service's own parts, the loop on a fake clock.
        await using var dedicated = await DedicatedServer.StartAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
        var latest = new LatestPoolReview();
        using var loop = NewLoop(dedicated.Server, clock, latest, new PoolReviewOptions { Interval = TimeSpan.FromHours(24) });

        // Act: started, it reviews at once.
        await loop.StartAsync(CancellationToken.None);
        await BoundedWait.UntilAsync(() => latest.Current.Report is not null, () => latest.Current.LastError ?? "no review yet", "the review at start");

        // Assert
        var first = latest.Current;
        first.Report!.GeneratedAt.ShouldBe(clock.GetUtcNow());
        first.NextAt.ShouldBe(clock.GetUtcNow().AddHours(24));

        // Act: a day later, it reviews again (and not before).
        clock.Advance(TimeSpan.FromHours(23));
        latest.Current.Report.ShouldBeSameAs(first.Report);
        clock.Advance(TimeSpan.FromHours(1));
        await BoundedWait.UntilAsync(() => !ReferenceEquals(latest.Current.Report, first.Report), () => "still the first review", "the review a day later");

        // Assert
        latest.Current.Report!.GeneratedAt.ShouldBe(first.Report.GeneratedAt.AddHours(24));
        await loop.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Loop_DatabaseUnreachable_RecordsWhyAndRetriesSoonerWithBackoff()
    {
        // Arrange: the loop's settings point at a port nothing listens on.
        await using var dedicated = await DedicatedServer.StartAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
        var latest = new LatestPoolReview();
        var unreachable = new WidgetifyOptions();
        unreachable.Database.ConnectionString = "Host=127.0.0.1;Port=1;Username=nobody;Password=x;Database=none;Timeout=2";
        using var loop = NewLoop(dedicated.Server, clock, latest, new PoolReviewOptions(), unreachable);

        // Act
        await loop.StartAsync(CancellationToken.None);
        await BoundedWait.UntilAsync(() => latest.Current.LastError is not null, () => "no attempt yet", "the first attempt fails");

        // Assert: no report, the reason, a retry after 30 s rather than a day.
        latest.Current.Report.ShouldBeNull();
        latest.Current.LastError!.ShouldContain("did not answer");
        latest.Current.LastError!.ShouldNotContain("127.0.0.1", Case.Sensitive, "the reason is served by GET /api/review: the address goes to the log only");
        latest.Current.NextAt.ShouldBe(clock.GetUtcNow() + PoolReviewLoop.FirstRetry);

        // Act: the retry fails too, and the next one waits twice as long.
        var firstFailure = latest.Current;
        clock.Advance(PoolReviewLoop.FirstRetry);
        await BoundedWait.UntilAsync(() => !ReferenceEquals(latest.Current, firstFailure), () => "no second attempt", "the retry after 30 s");

        // Assert
        latest.Current.NextAt.ShouldBe(clock.GetUtcNow() + (PoolReviewLoop.FirstRetry * 2));
        await loop.StopAsync(CancellationToken.None);
    }

    /// <summary>A loop over the running server's data sources and incident tracker, with its own clock, settings and
    /// result holder, so the test owns its schedule.</summary>
    [Fact]
    public async Task Loop_ServerRefusesTheLogin_SaysItRefusedRatherThanDidNotAnswer()
    {
        // Arrange: the loop's settings name the real server with a wrong password: it answers, and refuses.
        await using var dedicated = await DedicatedServer.StartAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
        var latest = new LatestPoolReview();
        var refused = new WidgetifyOptions();
        refused.Database.ConnectionString = new NpgsqlConnectionStringBuilder(dedicated.Postgres.ConnectionString) { Password = "not-the-password" }.ConnectionString;
        using var loop = NewLoop(dedicated.Server, clock, latest, new PoolReviewOptions(), refused);

        // Act
        await loop.StartAsync(CancellationToken.None);
        await BoundedWait.UntilAsync(() => latest.Current.LastError is not null, () => "no attempt yet", "the first attempt fails");

        // Assert: what happened and where to look, without the address or the SQLSTATE (28P01), and retried as any failure.
        var reason = latest.Current.LastError!;
        reason.ShouldContain("refused the review's login or query");
        reason.ShouldContain("log");
        reason.ShouldNotContain("did not answer");
        reason.ShouldNotContain("127.0.0.1");
        reason.ShouldNotContain("28P01");
        latest.Current.NextAt.ShouldBe(clock.GetUtcNow() + PoolReviewLoop.FirstRetry);
        await loop.StopAsync(CancellationToken.None);
    }

    private static PoolReviewLoop NewLoop(
        WidgetifyServer server, TimeProvider clock, LatestPoolReview latest, PoolReviewOptions review, WidgetifyOptions? options = null)
    {
        var services = server.Services;
        return new PoolReviewLoop(
            services.GetRequiredService<IConfiguration>(),
            Options.Create(options ?? services.GetRequiredService<IOptions<WidgetifyOptions>>().Value),
            Options.Create(review),
            services.GetRequiredService<WidgetifyDataSources>(),
            latest,
            new PoolReviewMetrics(services.GetRequiredService<IMeterFactory>()),
            services.GetRequiredService<IncidentTracker>(),
            clock,
            NullLogger<PoolReviewLoop>.Instance);
    }

    private static PoolReviewLoop Loop(WidgetifyServer server) => server.Services.GetRequiredService<PoolReviewLoop>();

    private static AppliedSettingsWatcher Watcher(WidgetifyServer server) =>
        server.Services.GetServices<IHostedService>().OfType<AppliedSettingsWatcher>().Single();
}
