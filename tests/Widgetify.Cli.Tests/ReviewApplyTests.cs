using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests;

/// <summary>'widgetify review --apply' against a running 'widgetify up', as an operator fixes the Feb 15 configuration:
/// real processes, a real embedded PostgreSQL; the running service must take the new pool size without a restart.</summary>
public sealed class ReviewApplyTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    // The Feb 15 pool, set where an operator would set it; the service looks for applied settings every second.
    private static readonly Dictionary<string, string> Feb15 = new()
    {
        ["Widgetify__Database__MaxPoolSize"] = "1000",
        ["Widgetify__Review__AppliedSettingsPollInterval"] = "00:00:01",
    };

    [Fact]
    public async Task Apply_Feb15PoolOnARunningUp_ShrinksThePoolWithoutARestartAndTheReviewTurnsClean()
    {
        // Arrange: 'up' runs with the Feb 15 pool; its own review at start finds it critical.
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb
        var port = CliProcess.FreePort();
        using var up = CliProcess.Start(Feb15, "up", "--data-dir", dataDir.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--demo-widgets", "0");
        await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer", File.ReadAllText(Path.Combine(dataDir.Path, "operator-api-key")).Trim());
        var before = await ReviewWhenAsync(http, review => Critical(review) > 0, "the service's own review finds the Feb 15 pool critical");

        // Act
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(Feb15, "review", "--data-dir", dataDir.Path, "--apply");

        // Assert: applied to the recommended size, stored in the data folder's file; with it, nothing is critical.
        var recommended = before.GetProperty("findings")[0].GetProperty("recommended").GetInt32();
        exitCode.ShouldBe(0, stdout + stderr);
        stdout.ShouldContain($"Database:MaxPoolSize on primary: 1000 -> {recommended}");
        stdout.ShouldContain("With the applied settings: 0 critical");
        File.ReadAllText(Path.Combine(dataDir.Path, "settings.reviewed.json")).ShouldContain($"\"MaxPoolSize\": {recommended}");

        // Assert: the same process took it (no restart), its budget check says so, and its next review is clean.
        await up.WaitForOutputAsync($"changed at run time from 1000 to {recommended}", Bound);
        (await http.GetStringAsync("/health/ready")).ShouldContain($"Max Pool Size {recommended} configured");
        var after = await ReviewWhenAsync(http, review => Critical(review) == 0, "the review after the change is clean");
        after.GetProperty("applied")[0].GetProperty("to").GetInt32().ShouldBe(recommended);

        up.Terminate();
        (await up.WaitForExitAsync(Bound)).ShouldBe(0, up.StandardError);
    }

    [Fact]
    public async Task Apply_WithConfig_IsRefusedBeforeAnythingRuns()
    {
        // Act
        var (exitCode, _, stderr) = await CliProcess.RunAsync("review", "--apply", "--config", "planned.json", "--database-url", "Host=127.0.0.1;Port=1");

        // Assert
        exitCode.ShouldBe(1);
        stderr.ShouldContain("cannot be combined with --config");
    }

    [Fact]
    public async Task Apply_NothingToApply_SaysSoAndWritesNoFile()
    {
        // Arrange: the shipped defaults (the pool follows the budget), no history.
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb

        // Act
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("review", "--data-dir", dataDir.Path, "--apply");

        // Assert
        exitCode.ShouldBe(0, stdout + stderr);
        stdout.ShouldContain("Applied: nothing");
        File.Exists(Path.Combine(dataDir.Path, "settings.reviewed.json")).ShouldBeFalse();
    }

    private static int Critical(JsonElement review) =>
        review.GetProperty("findings").EnumerateArray().Count(f => f.GetProperty("severity").GetString() == "critical");

    /// <summary>GET /api/review until it answers and <paramref name="condition"/> holds (the first review runs as the
    /// service starts, the next one soon after a change).</summary>
    private static async Task<JsonElement> ReviewWhenAsync(HttpClient http, Func<JsonElement, bool> condition, string because)
    {
        JsonElement? found = null;
        var last = "";
        await BoundedWait.UntilAsync(
            async () =>
            {
                using var response = await http.GetAsync("/api/review");
                last = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                var review = JsonDocument.Parse(last).RootElement.Clone();
                found = review;
                return condition(review);
            },
            () => last, because, Bound);
        return found!.Value;
    }
}
