using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Cli.Cluster;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Testing;
using Xunit.Abstractions;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>Five instances started at once share the connection budget from their first connection, and a stop leaves
/// no process of the fleet behind.</summary>
[Collection(SerialFleets.Name)]
public sealed class FleetStartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Up_FiveAtOnce_PostgresNeverSeesMoreConnectionsThanTheBudget_AndSigtermLeavesNoProcess()
    {
        using var dataDir = new TempDataDir();
        var (port, tlsPort) = (CliProcess.FreePort(), CliProcess.FreePort());
        using var up = RunningCluster.Launch(dataDir, 5, port, tlsPort, RunningCluster.CalmAdmission);
        await up.WaitForOutputAsync("PostgreSQL is ready", RunningCluster.StartBound);

        // Sampled as the superuser, whose reserved slots let it in even when the budget's are all taken.
        await using var database = await DatabaseTarget.OpenAsync(null, dataDir.Path, NullLogger.Instance, CancellationToken.None);
        var admin = new NpgsqlConnectionStringBuilder(database.Cluster!.AdminConnectionString) { Pooling = false }.ConnectionString;
        using var stopSampling = new CancellationTokenSource();
        var sampling = QuerySampler.SampleMaxAsync(
            admin,
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'widgetify' AND application_name LIKE 'widgetify-api-%'",
            [], stopSampling.Token);

        await up.WaitForOutputAsync("Widgetify cluster is up", RunningCluster.StartBound);
        // Then a burst through the balancer, so that every instance wants more connections than it was granted.
        var key = File.ReadAllText(Path.Combine(dataDir.Path, "demo-api-key")).Trim();
        using (var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) })
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var burst = Enumerable.Range(0, 300).Select(async _ =>
            {
                using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/api/widgets?limit=5"));
                return (int)response.StatusCode;
            });
            var statuses = await Task.WhenAll(burst);
            output.WriteLine(string.Join(", ", statuses.GroupBy(s => s).Select(g => $"HTTP {g.Key} x{g.Count()}")));
        }

        await stopSampling.CancelAsync();
        var peak = await sampling;
        var budget = await BudgetAsync(admin);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak connections of the 5 instances: {peak}; budget: {budget}"));
        peak.ShouldBeGreaterThan(0);
        peak.ShouldBeLessThanOrEqualTo(budget, "the instances' leases share the budget from their first connection");

        var state = ClusterState.TryRead(dataDir.Path).State!;
        state.Instances.Count.ShouldBe(5);
        int[] pids = [.. state.Instances.Select(i => i.Pid!.Value), state.BalancerPid!.Value];
        var postmaster = dataDir.RunningPostmasterPid()!.Value;

        // SIGTERM takes the same path as Ctrl-C (SIGINT): HAProxy stops accepting, then the instances, then PostgreSQL.
        // A client that keeps asking meanwhile gets answers or a refused connection, never HAProxy's 503 "no server".
        using var stopLoad = new CancellationTokenSource();
        var answers = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var load = Task.Run(async () =>
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            while (!stopLoad.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/api/widgets?limit=1"), CancellationToken.None);
                    answers.Enqueue((int)response.StatusCode);
                }
                catch (HttpRequestException)
                {
                    answers.Enqueue(0); // refused: HAProxy no longer listens, nothing more to see
                    break;
                }
            }
        });
        await BoundedWait.UntilAsync(() => Task.FromResult(answers.Count >= 5), () => $"{answers.Count} answers", "the load had answers", TimeSpan.FromSeconds(30));
        up.Terminate();
        (await up.WaitForExitAsync(TimeSpan.FromMinutes(2))).ShouldBe(0, up.StandardError);
        await stopLoad.CancelAsync();
        await load;
        output.WriteLine(string.Join(", ", answers.GroupBy(a => a).Select(g => g.Key == 0 ? $"refused x{g.Count()}" : $"HTTP {g.Key} x{g.Count()}")));
        answers.ShouldNotContain(503, "HAProxy stops accepting before any instance stops, so it never has no server to send a request to");

        pids.Where(ClusterState.IsAlive).ShouldBeEmpty("no instance or HAProxy may outlive 'cluster up'");
        ClusterState.IsAlive(postmaster).ShouldBeFalse("PostgreSQL stops last");
        File.Exists(ClusterState.PathIn(dataDir.Path)).ShouldBeFalse();
        File.Exists(state.BalancerSocket).ShouldBeFalse("HAProxy's admin socket file goes with it");
        up.StandardOutput.ShouldContain("The instances and HAProxy have stopped");
    }

    private static async Task<long> BudgetAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int - 10", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
