using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Cli.Cluster.Autoscaling;
using Widgetify.Testing;
using Xunit.Abstractions;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>'cluster up --instances 2 --replicas 0 --max-replicas 1' end to end: the autoscaler in the leading instance
/// decides to scale out on a saturated read path (any served read saturates it here), hands the action to the coordinator,
/// which makes standby-1 and registers it; both instances then read from it. The scale-in is then asked for directly in the
/// hand-over table (the law's 5-minute quiet window and a steady load exclude each other; the cooldown keeps the law from
/// acting again): standby-1 leaves, both instances drain it, then it is stopped and deleted. A steady loop of GETs through
/// HAProxy runs the whole time and no request may fail; Ctrl-C leaves no server behind.</summary>
[Collection(SerialFleets.Name)]
public sealed class ClusterAutoscalingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ScalingBound = TimeSpan.FromMinutes(2);

    private static readonly Dictionary<string, string> FastScaling = new(RunningCluster.CalmAdmission)
    {
        ["Widgetify__Scaling__ReadP99Target"] = "00:00:00.001", // any served read saturates
        ["Widgetify__Scaling__ScaleOutWindow"] = "00:00:02",
        ["Widgetify__Scaling__Cooldown"] = "00:10:00", // one action by the law, then the test drives
    };

    [Fact]
    public async Task Up_WithMaxReplicas_LeaderScalesOutThroughTheCoordinator_BothInstancesReadFromIt_ScaleInDrainsFirst_NoRequestFails()
    {
        using var cluster = await RunningCluster.StartAsync(2, FastScaling, "--replicas", "0", "--max-replicas", "1");
        await cluster.WaitUntilWholeAsync(ScalingBound);
        cluster.Process.StandardOutput.ShouldContain("autoscaler     on: 0 to 1 standbys");
        var operatorKey = File.ReadAllText(Path.Combine(cluster.DataDir.Path, "operator-api-key")).Trim();
        using var operatorClient = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        operatorClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", operatorKey);
        var instancePorts = cluster.State.Instances.Select(i => i.Port).ToList();

        await using var reads = SteadyReads.Start(cluster, workers: 4);

        // Out, by the law in whichever instance leads: each instance's own router reads from standby-1.
        var seen = "";
        await BoundedWait.UntilAsync(
            async () =>
            {
                var standbys = await Task.WhenAll(instancePorts.Select(port => StandbysAsync(operatorClient, port)));
                seen = string.Join(" | ", standbys.Select(s => string.Join(", ", s.Select(x => $"{x.Name}:{x.State}:{x.Reads}"))));
                return standbys.All(s => s.Any(x => x.Name == "standby-1" && x.State == "ready" && x.Reads > 0));
            },
            () => $"standbys per instance: {seen}; coordinator: {Tail(cluster)}", "both instances served reads from standby-1", ScalingBound);

        // The routers can serve from standby-1 before the coordinator's answer reaches the leader (its next round, then the
        // leader's next poll), so the decision is read once it is no longer pending.
        var decisions = new List<JsonElement>();
        await BoundedWait.UntilAsync(
            async () =>
            {
                decisions = (await ScalingAsync(operatorClient, instancePorts[0])).GetProperty("decisions").EnumerateArray().ToList();
                return decisions.Count > 0 && decisions.All(d => d.GetProperty("result").GetString() != "pending");
            },
            () => $"decisions: {string.Join(" | ", decisions)}", "the leader recorded the coordinator's answer", ScalingBound);
        output.WriteLine(string.Join("\n", decisions.Select(d => d.ToString())));
        var outDecision = decisions.ShouldHaveSingleItem();
        outDecision.GetProperty("direction").GetString().ShouldBe("out");
        outDecision.GetProperty("result").GetString().ShouldBe("succeeded");
        outDecision.GetProperty("message").GetString()!.ShouldContain("added standby-1");
        var status = await cluster.StatusAsync();
        var standby = status.GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "standby-1");
        standby.GetProperty("rotation").GetString().ShouldBe("serving");
        standby.GetProperty("state").GetString().ShouldBe("running");

        // In, asked in the hand-over table as the leader's provider asks: drained by both instances, then stopped.
        await using var database = await DatabaseTarget.OpenAsync(null, cluster.DataDir.Path, NullLogger.Instance, CancellationToken.None, attachOnly: true);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var registry = new StandbyRegistry(dataSource);
        var scaledIn = await AskAsync(registry, 0, cluster);
        scaledIn.Succeeded.ShouldBe(true, scaledIn.Message);
        scaledIn.Message!.ShouldContain("drained by every running instance, then removed standby-1");

        (await Task.WhenAll(instancePorts.Select(port => StandbysAsync(operatorClient, port)))).ShouldAllBe(s => s.Count == 0);
        cluster.DataDir.RunningPostmasterPid(cluster.DataDir.StandbyPgData("standby-1")).ShouldBeNull("the scale-in stops the server");
        Directory.Exists(Path.Combine(cluster.DataDir.Path, "standbys", "standby-1")).ShouldBeFalse("and deletes its folder");
        (await cluster.StatusAsync()).GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ShouldBe(["primary"]);

        await reads.StopAsync();
        output.WriteLine($"{reads.Served} GETs served through HAProxy, {reads.Failures.Count} failed");
        reads.Failures.ShouldBeEmpty(string.Join("\n", reads.Failures.Take(5)));
        reads.Served.ShouldBeGreaterThan(100);

        // A standby added while the fleet runs is stopped with it.
        (await AskAsync(registry, 1, cluster)).Succeeded.ShouldBe(true);
        cluster.DataDir.RunningPostmasterPid(cluster.DataDir.StandbyPgData("standby-1")).ShouldNotBeNull();
        await dataSource.DisposeAsync();
        cluster.Process.Terminate();
        (await cluster.Process.WaitForExitAsync(TimeSpan.FromMinutes(1))).ShouldBe(0, cluster.Process.StandardError);
        cluster.DataDir.RunningPostmasterPid(cluster.DataDir.StandbyPgData("standby-1")).ShouldBeNull("Ctrl-C stops the standby the coordinator added");
        cluster.DataDir.RunningPostmasterPid().ShouldBeNull("and the primary");
    }

    /// <summary>Asks as the leader's provider does and waits for the coordinator's answer.</summary>
    private static async Task<ScalingRequest> AskAsync(StandbyRegistry registry, int desired, RunningCluster cluster)
    {
        var asked = await registry.RequestAsync(desired, "test", CancellationToken.None);
        ScalingRequest? answer = null;
        await BoundedWait.UntilAsync(
            async () => (answer = await registry.ReadRequestAsync(CancellationToken.None)) is { } a && a.HandledId >= asked,
            () => $"ask: {answer}; coordinator: {Tail(cluster)}", $"the coordinator answered the ask for {desired}", ScalingBound);
        return answer!;
    }

    private static string Tail(RunningCluster cluster) => cluster.Process.StandardOutput[Math.Max(0, cluster.Process.StandardOutput.Length - 3000)..];

    private static async Task<JsonElement> ScalingAsync(HttpClient client, int port)
    {
        using var response = await client.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/api/scaling")));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The standbys one instance's router has, with their state and the reads it served on each.</summary>
    private static async Task<List<(string Name, string State, long Reads)>> StandbysAsync(HttpClient client, int port) =>
        [.. (await ScalingAsync(client, port)).GetProperty("servers").EnumerateArray()
            .Where(s => s.GetProperty("role").GetString() == "standby")
            .Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("state").GetString()!, s.GetProperty("readsServed").GetInt64()))];
}
