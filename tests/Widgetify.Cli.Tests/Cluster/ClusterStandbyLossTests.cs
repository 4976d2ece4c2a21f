using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Widgetify.Testing;
using Xunit.Abstractions;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>'cluster up --instances 1 --replicas 1' when its servers die, end to end: the registry names a standby that is
/// gone (killed, and its data lost so its supervisor cannot bring it back) until the coordinator gives it up and makes a
/// replacement, which the instance then reads from; the primary is killed and restarted by its supervisor, and the
/// instance still follows the registry afterwards (a second loss and replacement reach it). Reads through HAProxy run the
/// whole time; none may fail while a standby is lost (a read on a dead standby is retried on another server).</summary>
[Collection(SerialFleets.Name)]
public sealed class ClusterStandbyLossTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private static readonly Dictionary<string, string> FastReplacement = new(RunningCluster.CalmAdmission)
    {
        ["Widgetify__Cluster__StandbyReplaceAfter"] = "00:00:05",
    };

    [Fact]
    public async Task Up_StandbyLostThenPrimaryRestarted_ReplacedAndFollowedByTheInstance_NoReadFailsMeanwhile()
    {
        using var cluster = await RunningCluster.StartAsync(1, FastReplacement, "--replicas", "1", "--demo-widgets", "3");
        await cluster.WaitUntilWholeAsync(Bound);
        var instancePort = cluster.State.Instances.Single().Port;
        using var operatorClient = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        operatorClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer", File.ReadAllText(Path.Combine(cluster.DataDir.Path, "operator-api-key")).Trim());
        await using var reads = SteadyReads.Start(cluster, workers: 1);

        var first = await ReadingFromAsync(operatorClient, instancePort, port: null, cluster);

        // Act 1: the standby dies and cannot come back; the coordinator replaces it, the instance follows.
        await LoseStandbyAsync(cluster);
        var second = await ReadingFromAsync(operatorClient, instancePort, port => port != first, cluster);

        // Act 2: the primary is killed; its supervisor restarts it on its port. Requests are not counted meanwhile.
        reads.Paused = true;
        var primary = cluster.DataDir.RunningPostmasterPid().ShouldNotBeNull();
        Kill(primary);
        await BoundedWait.UntilAsync(
            () => cluster.DataDir.RunningPostmasterPid() is { } pid && pid != primary,
            () => "primary not restarted", "the supervisor restarted the primary", Bound);
        await cluster.WaitUntilWholeAsync(Bound);
        reads.Paused = false;

        // Act 3: the instance still follows the registry: a second loss and replacement reach it.
        await LoseStandbyAsync(cluster);
        await ReadingFromAsync(operatorClient, instancePort, port => port != second, cluster);

        await reads.StopAsync();
        output.WriteLine($"{reads.Served} GETs served through HAProxy, {reads.Failures.Count} failed");
        reads.Failures.ShouldBeEmpty(string.Join("\n", reads.Failures.Take(5)));
        reads.Served.ShouldBeGreaterThan(50);
        var status = await cluster.StatusAsync();
        status.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ShouldBe(["primary", "standby-1"]);
    }

    /// <summary>kill -9 of standby-1, and its data lost (PG_VERSION gone), so its supervisor's restarts fail.</summary>
    private static async Task LoseStandbyAsync(RunningCluster cluster)
    {
        var pgData = cluster.DataDir.StandbyPgData("standby-1");
        var pid = cluster.DataDir.RunningPostmasterPid(pgData).ShouldNotBeNull();
        File.Delete(Path.Combine(pgData, "PG_VERSION"));
        Kill(pid);
        await BoundedWait.UntilAsync(() => cluster.DataDir.RunningPostmasterPid(pgData) != pid, () => $"pid {pid} alive", "standby-1 died", Bound);
    }

    private static void Kill(int pid)
    {
        using var kill = Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits until the instance's router has standby-1 ready (on a port <paramref name="port"/> accepts) and has
    /// served reads from it since; returns that port.</summary>
    private static async Task<int> ReadingFromAsync(HttpClient client, int instancePort, Func<int, bool>? port, RunningCluster cluster)
    {
        var seen = "";
        var found = 0;
        long? readsAtFirstSight = null;
        await BoundedWait.UntilAsync(
            async () =>
            {
                using var response = await client.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{instancePort}/api/scaling")));
                var servers = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("servers").EnumerateArray()
                    .Where(s => s.GetProperty("role").GetString() == "standby").ToList();
                seen = string.Join(", ", servers.Select(s => s.ToString()));
                var standby = servers.FirstOrDefault(s => s.GetProperty("name").GetString() == "standby-1"
                    && s.GetProperty("state").GetString() == "ready" && (port is null || port(s.GetProperty("port").GetInt32())));
                if (standby.ValueKind != JsonValueKind.Object)
                {
                    return false;
                }

                found = standby.GetProperty("port").GetInt32();
                var reads = standby.GetProperty("readsServed").GetInt64();
                readsAtFirstSight ??= reads;
                return reads > readsAtFirstSight || (port is null && reads > 0);
            },
            () => $"standbys: {seen}; coordinator: {cluster.Process.StandardOutput[Math.Max(0, cluster.Process.StandardOutput.Length - 2000)..]}",
            "the instance reads from standby-1", Bound);
        return found;
    }
}
