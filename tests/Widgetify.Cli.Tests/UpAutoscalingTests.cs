using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests;

/// <summary>'widgetify up --replicas N --max-replicas M' as an operator runs it: the autoscaler adds a standby when the
/// read path is saturated, drains and removes it when the load is gone, and replaces a standby killed with kill -9. The
/// targets and windows are set so that a few reads saturate it and a quiet 10 s ends it; the law itself is tested on
/// recorded seconds in Widgetify.Scaling.Tests.</summary>
public sealed class UpAutoscalingTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ScalingBound = TimeSpan.FromSeconds(90);

    private static readonly Dictionary<string, string> FastScaling = new()
    {
        ["Widgetify__Scaling__ReadP99Target"] = "00:00:00.001", // any served read saturates
        ["Widgetify__Scaling__ScaleOutWindow"] = "00:00:02",
        ["Widgetify__Scaling__ScaleInWindow"] = "00:00:10",
        ["Widgetify__Scaling__Cooldown"] = "00:00:01",
    };

    [Fact]
    public async Task Up_WithMaxReplicas_ScalesOutUnderReadsInWhenQuietAndReplacesAKilledStandby()
    {
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb
        var port = CliProcess.FreePort();
        using var up = CliProcess.Start(
            FastScaling, "up", "--data-dir", dataDir.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--demo-widgets", "5",
            "--replicas", "1", "--max-replicas", "2");
        // The banner's last line: the sample embed's line is printed before it, and lines arrive one by one.
        await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        var operatorKey = File.ReadAllText(Path.Combine(dataDir.Path, "operator-api-key")).Trim();
        var embed = System.Text.RegularExpressions.Regex.Match(up.StandardOutput, @"/w/[0-9a-f-]{36}").Value;
        embed.ShouldNotBeEmpty(up.StandardOutput);

        var scaling = await ScalingAsync(http, operatorKey);
        scaling.GetProperty("autoscaler").GetProperty("enabled").GetBoolean().ShouldBeTrue();
        await WaitForStandbysAsync(http, operatorKey, ["standby-1"], "standby-1 ready after start");

        // Out: reads keep coming until the second standby serves.
        using (var reads = new CancellationTokenSource())
        {
            var load = Task.Run(async () =>
            {
                while (!reads.IsCancellationRequested)
                {
                    using var response = await http.GetAsync(embed, CancellationToken.None);
                    ((int)response.StatusCode).ShouldBeOneOf(200, 503);
                }
            });
            await WaitForStandbysAsync(http, operatorKey, ["standby-1", "standby-2"], "a second standby after a saturated read path");
            await reads.CancelAsync();
            await load;
        }

        // In: quiet for the scale-in window; standby-2 (the newest) is drained (it leaves the rotation first), then
        // stopped and deleted, and only then is the action done.
        await WaitForDecisionAsync(http, operatorKey, d => d.GetProperty("direction").GetString() == "in", "a scale-in once the reads stopped");
        await WaitForStandbysAsync(http, operatorKey, ["standby-1"], "back to one standby");
        Directory.Exists(Path.Combine(dataDir.Path, "standbys", "standby-2")).ShouldBeFalse("scale-in deletes the standby's folder");
        var decisions = (await ScalingAsync(http, operatorKey)).GetProperty("decisions").EnumerateArray().ToList();
        decisions.Select(d => (d.GetProperty("direction").GetString(), d.GetProperty("result").GetString()))
            .ShouldBe([("in", "succeeded"), ("out", "succeeded")], string.Join("\n", decisions.Select(d => d.GetRawText())));
        decisions[0].GetProperty("message").GetString()!.ShouldContain("drained and removed standby-2");

        // kill -9 of the last standby puts the count below the minimum: up's supervisor restarts it on its port within a
        // second or two, or the autoscaler replaces it if it sees it dead first. Either way standby-1 serves again, anew.
        var killed = dataDir.RunningPostmasterPid(dataDir.StandbyPgData("standby-1"));
        killed.ShouldNotBeNull();
        using (var kill = Process.Start("kill", ["-KILL", killed.Value.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await BoundedWait.UntilAsync(
            () => dataDir.RunningPostmasterPid(dataDir.StandbyPgData("standby-1")) is { } pid && pid != killed,
            () => up.StandardOutput[Math.Max(0, up.StandardOutput.Length - 2000)..], "the killed standby is restarted or replaced", StartTimeout);
        await WaitForStandbysAsync(http, operatorKey, ["standby-1"], "standby-1 serves again");

        up.Terminate();
        (await up.WaitForExitAsync(TimeSpan.FromSeconds(60))).ShouldBe(0, up.StandardError);
        dataDir.RunningPostmasterPid(dataDir.StandbyPgData("standby-1")).ShouldBeNull(up.StandardOutput[Math.Max(0, up.StandardOutput.Length - 12000)..]);
    }

    [Theory]
    [InlineData("--replicas", "2", "--max-replicas", "1", "must be at least --replicas")]
    [InlineData("--database-url", "Host=127.0.0.1;Port=1", "--max-replicas", "2", "Widgetify:Scaling:Provider")]
    public async Task Up_MaxReplicasMisused_FailsSayingWhatToDo(string option, string value, string maxOption, string max, string expected)
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync("up", option, value, maxOption, max);

        exitCode.ShouldNotBe(0);
        stderr.ShouldContain(expected);
    }

    private static async Task<JsonElement> ScalingAsync(HttpClient http, string operatorKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/scaling");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorKey);
        using var response = await http.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Waits until a decision that <paramref name="matches"/> has succeeded; fails at once if it failed.</summary>
    private static async Task WaitForDecisionAsync(HttpClient http, string operatorKey, Func<JsonElement, bool> matches, string because)
    {
        var last = "";
        await BoundedWait.UntilAsync(
            async () =>
            {
                var decisions = (await ScalingAsync(http, operatorKey)).GetProperty("decisions").EnumerateArray().Where(matches).ToList();
                last = string.Join(" | ", decisions.Select(d => d.ToString()));
                decisions.ShouldNotContain(d => d.GetProperty("result").GetString() == "failed", last);
                return decisions.Any(d => d.GetProperty("result").GetString() == "succeeded");
            },
            () => $"decisions: {last}", because, ScalingBound);
    }

    /// <summary>Waits until exactly <paramref name="names"/> are the standbys, all ready.</summary>
    private static async Task WaitForStandbysAsync(HttpClient http, string operatorKey, string[] names, string because)
    {
        var last = "";
        await BoundedWait.UntilAsync(
            async () =>
            {
                var servers = (await ScalingAsync(http, operatorKey)).GetProperty("servers").EnumerateArray()
                    .Where(s => s.GetProperty("role").GetString() == "standby")
                    .Select(s => (Name: s.GetProperty("name").GetString()!, State: s.GetProperty("state").GetString()!)).ToList();
                last = string.Join(", ", servers.Select(s => $"{s.Name}:{s.State}"));
                return servers.Count == names.Length && servers.All(s => s.State == "ready" && names.Contains(s.Name));
            },
            () => $"standbys now: {last}", because, ScalingBound);
    }
}
