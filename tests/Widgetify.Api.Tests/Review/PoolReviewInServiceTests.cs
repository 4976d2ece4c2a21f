using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Widgetify.Api.Auth;
using Widgetify.Api.Review;
using Widgetify.Api.Tests.Infrastructure;
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

        // Assert: one instance leased, 97 accepted, 10 kept for others: (97 - 10 - 1 - 1) / 1 = 85 fits.
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        root.GetProperty("instances").GetInt32().ShouldBe(1);
        var critical = root.GetProperty("findings")[0];
        critical.GetProperty("severity").GetString().ShouldBe("critical");
        critical.GetProperty("setting").GetString().ShouldBe("Database:MaxPoolSize");
        critical.GetProperty("current").GetInt32().ShouldBe(1000);
        critical.GetProperty("recommended").GetInt32().ShouldBe(85);
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
    public async Task AppliedInPostgres_ChangesTheRunningPoolWithoutARestart_AndUndoingRestoresIt()
    {
        // Arrange: the service runs with the Feb 15 pool, clamped to the budget's 85.
        await using var dedicated = await DedicatedServer.StartAsync(settings: Feb15);
        var server = dedicated.Server;
        var governor = server.Services.GetRequiredService<PoolGovernor>();
        governor.Current.ConfiguredMaxPoolSize.ShouldBe(1000);
        governor.Current.Share.ShouldBe(85);
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
        governor.Current.Share.ShouldBe(85);
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

    private static PoolReviewLoop Loop(WidgetifyServer server) => server.Services.GetRequiredService<PoolReviewLoop>();

    private static AppliedSettingsWatcher Watcher(WidgetifyServer server) =>
        server.Services.GetServices<IHostedService>().OfType<AppliedSettingsWatcher>().Single();
}
