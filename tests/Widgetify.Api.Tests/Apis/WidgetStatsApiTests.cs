using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Stats;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

/// <summary>GET /api/widgets/{id}/stats on the shared server: sums of the hourly rollups, whole buckets, zeros where
/// nothing happened, validated parameters, the tenant's own widgets only; and the retention job that prunes the rollups.</summary>
[Collection(SharedApiServer.Name)]
public sealed class WidgetStatsApiTests(ApiFixture fixture) : IDisposable
{
    private readonly HttpClient _anonymous = fixture.Server.CreateClient();

    public void Dispose() => _anonymous.Dispose();

    [Fact]
    public async Task Get_AfterEmbedViewsVotesAndClicks_SumsToTheCounts()
    {
        // Arrange: five embed views (flushed by the server), and votes and clicks written into the rollups as their writers do
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Counted");
        for (var i = 0; i < 5; i++)
        {
            using var view = await _anonymous.GetAsync($"/w/{widget.Id}");
            view.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await tenant.Http.WaitForViewCountAsync(widget.Id, 5, "the server flushes the five embed views");
        var thisHour = StatsInterval.Hour.Floor(TimeProvider.System.GetUtcNow());
        await StatsHttp.AddActivityAsync(fixture.Postgres.ConnectionString, widget.Id, thisHour.AddHours(-3), votes: 4, clicks: 1);
        await StatsHttp.AddActivityAsync(fixture.Postgres.ConnectionString, widget.Id, thisHour.AddHours(-30), votes: 100); // outside the default 24 h

        // Act: the defaults, the last 24 hours by hour
        var stats = await tenant.Http.GetStatsAsync(widget.Id);

        // Assert
        stats.Interval.ShouldBe("hour");
        stats.Buckets.Count.ShouldBe(24);
        // The server's clock is the real one: the hour may have turned since thisHour was read (then the views may
        // straddle two hours too), so the window ends after this hour or the next, and spans 24 hours either way.
        stats.To.ShouldBeOneOf(thisHour.AddHours(1), thisHour.AddHours(2));
        stats.From.ShouldBe(stats.To.AddHours(-24));
        stats.Buckets.Select(b => b.Start).ShouldBe(Enumerable.Range(0, 24).Select(h => stats.From.AddHours(h)));
        stats.Totals.ShouldBe(new StatsTotalsDto(Views: 5, Votes: 4, Clicks: 1));
        stats.Buckets.Sum(b => b.Views).ShouldBe(stats.Totals.Views);
        stats.Buckets.Single(b => b.Start == thisHour.AddHours(-3)).ShouldBe(new StatsBucketDto(thisHour.AddHours(-3), 0, 4, 1));
        stats.Buckets.Count(b => b == new StatsBucketDto(b.Start, 0, 0, 0)).ShouldBeInRange(21, 22, "empty hours are zeros");
        (await tenant.Http.GetWidgetAsync(widget.Id)).ViewCount.ShouldBe(stats.Totals.Views);
    }

    [Fact]
    public async Task Get_ByDay_SumsTheHoursOfEachUtcDay()
    {
        // Arrange: hours either side of a UTC midnight
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Daily");
        var midnight = new DateTimeOffset(TimeProvider.System.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero).AddDays(-3);
        await StatsHttp.AddActivityAsync(fixture.Postgres.ConnectionString, widget.Id, midnight.AddHours(-24), views: 1);
        await StatsHttp.AddActivityAsync(fixture.Postgres.ConnectionString, widget.Id, midnight.AddHours(-1), views: 2, clicks: 1);
        await StatsHttp.AddActivityAsync(fixture.Postgres.ConnectionString, widget.Id, midnight, views: 4);
        await StatsHttp.AddActivityAsync(fixture.Postgres.ConnectionString, widget.Id, midnight.AddHours(23), views: 8, votes: 2);

        // Act: from and to inside days are widened to whole UTC days
        var stats = await tenant.Http.GetStatsAsync(widget.Id,
            $"interval=day&from={StatsHttp.Iso(midnight.AddHours(-10))}&to={StatsHttp.Iso(midnight.AddHours(30))}");

        // Assert
        stats.Interval.ShouldBe("day");
        stats.From.ShouldBe(midnight.AddDays(-1));
        stats.To.ShouldBe(midnight.AddDays(2));
        stats.Buckets.ShouldBe([
            new StatsBucketDto(midnight.AddDays(-1), 3, 0, 1),
            new StatsBucketDto(midnight, 12, 2, 0),
            new StatsBucketDto(midnight.AddDays(1), 0, 0, 0),
        ]);
        stats.Totals.ShouldBe(new StatsTotalsDto(15, 2, 1));
    }

    [Theory]
    [InlineData("interval=week", "interval")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=12/06/2026", "from")]
    [InlineData("to=2026-13-01", "to")]
    [InlineData("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "from")]
    [InlineData("from=2026-01-01&to=2026-03-01", "from")]
    [InlineData("interval=day&from=2020-01-01&to=2026-01-01", "from")]
    public async Task Get_BadParameter_Returns400NamingIt(string query, string parameter)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Checked");

        using var response = await tenant.Http.GetAsync($"/api/widgets/{widget.Id}/stats?{query}");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, parameter);
    }

    [Fact]
    public async Task Get_OtherTenantsWidget_Returns404()
    {
        using var owner = await fixture.Server.CreateTenantAsync();
        using var other = await fixture.Server.CreateTenantAsync();
        var widget = await owner.Http.CreateWidgetAsync("Private");

        using var response = await other.Http.GetAsync($"/api/widgets/{widget.Id}/stats");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Get_WithoutKey_Returns401()
    {
        using var response = await _anonymous.GetAsync($"/api/widgets/{Guid.NewGuid()}/stats");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Get_RangeBeforeRetention_SaysWhereKeptDataStarts()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Old");
        var now = TimeProvider.System.GetUtcNow();

        var stats = await tenant.Http.GetStatsAsync(widget.Id,
            $"interval=day&from={StatsHttp.Iso(now.AddDays(-420))}&to={StatsHttp.Iso(now.AddDays(-300))}");

        stats.RetainedFrom.ShouldBe(StatsInterval.Hour.Floor(now) - TimeSpan.FromDays(400), tolerance: TimeSpan.FromHours(1));
        stats.From.ShouldBeLessThan(stats.RetainedFrom);
    }

    [Fact]
    public async Task DeleteExpiredAsync_HoursEitherSideOfRetention_DeletesOnlyTheOlderInBatches()
    {
        // Arrange: five hours past the 400 days, two within; batches of two, so the job needs three to finish
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Retained");
        var time = new FakeTimeProvider(StatsInterval.Hour.Floor(TimeProvider.System.GetUtcNow()));
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(400);
        for (var h = 1; h <= 5; h++)
        {
            await StatsHttp.AddActivityAsync(fixture.Postgres.ConnectionString, widget.Id, cutoff.AddHours(-h), views: 1);
        }

        await StatsHttp.AddActivityAsync(fixture.Postgres.ConnectionString, widget.Id, cutoff, views: 1);
        await StatsHttp.AddActivityAsync(fixture.Postgres.ConnectionString, widget.Id, cutoff.AddDays(1), views: 1);
        var retention = new ActivityRetention(
            fixture.Server.Services.GetRequiredService<WidgetActivityStore>(), time,
            Options.Create(new WidgetifyOptions { Stats = new StatsOptions { RetentionDays = 400, RetentionBatchSize = 2 } }),
            NullLogger<ActivityRetention>.Instance);

        // Act
        var deleted = await retention.DeleteExpiredAsync(CancellationToken.None);

        // Assert
        deleted.ShouldBe(5);
        (await StatsHttp.HoursAsync(fixture.Postgres.ConnectionString, widget.Id)).ShouldBe([cutoff, cutoff.AddDays(1)]);
    }
}
