using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Cli.Cluster;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Testing;
using Xunit.Abstractions;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>'cluster up' and 'cluster status' on one real 2-instance fleet: PostgreSQL, two 'widgetify up' processes and
/// HAProxy, over loopback ('cluster restart' under load: <see cref="RestartUnderLoadTests"/>).</summary>
[Collection(SerialFleets.Name)]
public sealed partial class ClusterCommandTests(TwoInstanceCluster fleet, ITestOutputHelper output) : IClassFixture<TwoInstanceCluster>
{
    private static readonly TimeSpan WholeBound = TimeSpan.FromMinutes(3);

    private RunningCluster Cluster => fleet.Cluster;

    [Fact]
    public async Task Up_TwoInstances_BalancerSpreadsHttpAndHttpsOverBothWithHsts()
    {
        await Cluster.WaitUntilWholeAsync(WholeBound);
        var before = (await Cluster.Balancer.ServersAsync(CancellationToken.None)).ToDictionary(s => s.Name, s => s.TotalSessions);
        var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(ClusterState.Folder(Cluster.DataDir.Path), SelfSignedCertificate.FileName)));
        using var handler = new HttpClientHandler
        {
            // Trust exactly the certificate 'cluster up' made, as a client that pinned it would.
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
        };
        using var client = new HttpClient(handler);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Cluster.DemoKey);

        string? widgetId = null;
        for (var i = 0; i < 10; i++)
        {
            using var plain = await client.GetAsync(new Uri($"http://127.0.0.1:{Cluster.Port}/api/widgets?limit=1"));
            plain.StatusCode.ShouldBe(HttpStatusCode.OK);
            plain.Headers.Contains("Strict-Transport-Security").ShouldBeFalse("HSTS is only sent over TLS (RFC 6797 section 7.2)");
            using var tls = await client.GetAsync(new Uri($"https://127.0.0.1:{Cluster.TlsPort}/api/widgets?limit=1"));
            tls.StatusCode.ShouldBe(HttpStatusCode.OK);
            tls.Headers.GetValues("Strict-Transport-Security").Single().ShouldStartWith("max-age=");
            widgetId ??= WidgetId().Match(await tls.Content.ReadAsStringAsync()).Groups[1].Value;
        }

        var after = (await Cluster.Balancer.ServersAsync(CancellationToken.None)).ToDictionary(s => s.Name, s => s.TotalSessions);
        output.WriteLine(string.Join(", ", after.Select(a => $"{a.Key}: {a.Value - before[a.Key]} requests")));
        after.Keys.ShouldBe(["api-1", "api-2"], ignoreOrder: true);
        after.ShouldAllBe(a => a.Value - before[a.Key] >= 5, "round robin gives each instance a share of the 20 requests");

        // The instance sees the scheme the client used (X-Forwarded-Proto): the snippet it writes points at https.
        widgetId.ShouldNotBeNullOrEmpty();
        var snippet = await client.GetStringAsync(new Uri($"https://127.0.0.1:{Cluster.TlsPort}/api/widgets/{widgetId}/embed"));
        snippet.ShouldContain($"https://127.0.0.1:{Cluster.TlsPort}/");
    }

    [Fact]
    public async Task Up_LogsAreOwnerOnlyAndHoldNoKey()
    {
        await Cluster.WaitUntilWholeAsync(WholeBound);
        var logs = Path.Combine(ClusterState.Folder(Cluster.DataDir.Path), "logs");
        var operatorKey = File.ReadAllText(Path.Combine(Cluster.DataDir.Path, "operator-api-key")).Trim();
        const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

        (File.GetUnixFileMode(logs) & GroupOrOther).ShouldBe(UnixFileMode.None);
        var files = Directory.GetFiles(logs);
        files.Length.ShouldBeGreaterThanOrEqualTo(3); // api-1, api-2, haproxy
        foreach (var log in files)
        {
            (File.GetUnixFileMode(log) & GroupOrOther).ShouldBe(UnixFileMode.None, log);
            var text = await File.ReadAllTextAsync(log);
            text.ShouldNotContain(Cluster.DemoKey, customMessage: log);
            text.ShouldNotContain(operatorKey, customMessage: log);
        }
    }

    [Fact]
    public async Task Status_Json_ListsInstancesServersAndBalancer()
    {
        await Cluster.WaitUntilWholeAsync(WholeBound);
        await BoundedWait.UntilAsync(
            async () => (await Cluster.StatusAsync()).GetProperty("instances").EnumerateArray().All(i => i.GetProperty("budgetShare").ValueKind == JsonValueKind.Number),
            () => "", "both instances held a lease", TimeSpan.FromSeconds(30));

        var status = await Cluster.StatusAsync();
        output.WriteLine(status.ToString());
        var state = Cluster.State;
        var instances = status.GetProperty("instances").EnumerateArray().ToList();
        instances.Select(i => i.GetProperty("name").GetString()).ShouldBe(["api-1", "api-2"]);
        foreach (var instance in instances)
        {
            var recorded = state.Instances.Single(i => i.Name == instance.GetProperty("name").GetString());
            instance.GetProperty("pid").GetInt32().ShouldBe(recorded.Pid!.Value);
            instance.GetProperty("port").GetInt32().ShouldBe(recorded.Port);
            instance.GetProperty("state").GetString().ShouldBe("ready");
            instance.GetProperty("budgetShare").GetInt32().ShouldBeGreaterThan(0);
        }

        var budget = status.GetProperty("budget").GetInt32();
        await using (var database = await DatabaseTarget.OpenAsync(null, Cluster.DataDir.Path, NullLogger.Instance, CancellationToken.None))
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.Cluster!.AdminConnectionString) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int", connection);
            budget.ShouldBe((int)(await command.ExecuteScalarAsync())! - 12, "the instances' ReservedForOtherClients (12 in this fleet), not the default 10");
        }

        instances.Sum(i => i.GetProperty("budgetShare").GetInt32()).ShouldBeLessThanOrEqualTo(budget);
        var primary = status.GetProperty("servers").EnumerateArray().Single();
        primary.GetProperty("role").GetString().ShouldBe("primary");
        primary.GetProperty("state").GetString().ShouldBe("running");
        primary.GetProperty("pid").GetInt32().ShouldBe(Cluster.DataDir.RunningPostmasterPid()!.Value);
        var balancer = status.GetProperty("balancer");
        balancer.GetProperty("pid").GetInt32().ShouldBe(state.BalancerPid!.Value);
        balancer.GetProperty("state").GetString().ShouldBe("running");
        balancer.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("status").GetString()).ShouldBe(["UP", "UP"]);
    }

    [Fact]
    public async Task Status_NoClusterInDataDir_ExitsNonZeroWithOneLineSayingWhatToDo()
    {
        using var empty = new TempDataDir();

        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("cluster", "status", "--data-dir", empty.Path);

        exitCode.ShouldNotBe(0);
        stdout.ShouldBeEmpty();
        stderr.Trim().Split('\n').Length.ShouldBe(1);
        stderr.ShouldContain("cluster up");
    }

    [Fact]
    public async Task KillNine_OneInstance_OthersTakeItsShareBackAfterItsLeaseExpires()
    {
        await Cluster.WaitUntilWholeAsync(WholeBound);
        await BoundedWait.UntilAsync(
            async () => Shares(await Cluster.StatusAsync()).Values.All(s => s is > 0),
            () => "", "both instances held a lease", TimeSpan.FromSeconds(30));
        var before = Shares(await Cluster.StatusAsync());
        var victim = Cluster.State.Instances.Single(i => i.Name == "api-2");

        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", victim.Pid!.Value.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        // Its lease (2 s in this fleet) expires, and api-1's next heartbeat takes the freed share.
        Dictionary<string, int?> after = [];
        await BoundedWait.UntilAsync(
            async () =>
            {
                after = Shares(await Cluster.StatusAsync());
                return after["api-2"] is null && after["api-1"] > before["api-1"];
            },
            () => string.Join(", ", after.Select(a => $"{a.Key}={a.Value}")), "api-2's lease expired and api-1 took its share", TimeSpan.FromSeconds(15));
        output.WriteLine($"before: {string.Join(", ", before)}; after the kill: {string.Join(", ", after)}");

        // The supervisor starts it again (after Widgetify:Cluster:RestartDelay, 20 s here) and the budget is shared again.
        await Cluster.WaitUntilWholeAsync(WholeBound);
        await BoundedWait.UntilAsync(
            async () => Shares(await Cluster.StatusAsync()).Values.All(s => s is > 0),
            () => "", "the restarted api-2 held a lease again", TimeSpan.FromSeconds(30));
        Cluster.State.Instances.Single(i => i.Name == "api-2").Restarts.ShouldBeGreaterThanOrEqualTo(1);
        Cluster.Process.StandardOutput.ShouldContain("died with exit code 137");
    }

    private static Dictionary<string, int?> Shares(JsonElement status) =>
        status.GetProperty("instances").EnumerateArray().ToDictionary(
            i => i.GetProperty("name").GetString()!,
            i => i.GetProperty("budgetShare").ValueKind == JsonValueKind.Number ? i.GetProperty("budgetShare").GetInt32() : (int?)null);

    [GeneratedRegex("\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"")]
    private static partial Regex WidgetId();
}
