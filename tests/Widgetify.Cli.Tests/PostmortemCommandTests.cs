using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Incidents;
using Widgetify.Incidents.Impact;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Incidents.Persistence;
using Widgetify.Observability;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using Widgetify.Postgres;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests;

/// <summary>'widgetify postmortem' as an operator runs it, against an embedded cluster holding incidents recorded by
/// the real tracker.</summary>
public sealed class PostmortemCommandTests
{
    private static readonly DateTimeOffset T0 = new(2026, 2, 15, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Postmortem_LatestAndPrefix_WritesTheDraftAndItsChart()
    {
        // Arrange: an embedded cluster in the data dir, running (the CLI attaches to it), with one resolved incident.
        using var dataDir = new TempDataDir();
        await ClusterTemplate.CopyIntoAsync(dataDir.Path); // a made cluster: these tests are of the verb, not of initdb
        await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = dataDir.Path, Durable = false });
        var id = await RecordIncidentAsync(cluster, resolve: true);
        var output = Path.Combine(dataDir.Path, "elsewhere", "feb15.md");

        // Act
        var latest = await CliProcess.RunAsync("postmortem", "latest", "--data-dir", dataDir.Path);
        var byPrefix = await CliProcess.RunAsync("postmortem", id.ToString("N")[..8], "--data-dir", dataDir.Path, "--output", output);

        // Assert
        latest.ExitCode.ShouldBe(0, latest.Stderr);
        var lines = latest.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(4, latest.Stdout);
        lines[0].ShouldBe(Path.Combine(dataDir.Path, "postmortems", $"20260215-0800-{id:D}.md"));
        lines[1].ShouldBe($"{id}: ResponseTimeSpike: p99 2.5 s over 10 s");
        lines[2].ShouldContain("Resolved (resolved after 29 s)");
        lines[3].ShouldContain("Impact: ");
        var markdown = await File.ReadAllTextAsync(lines[0]);
        markdown.ShouldStartWith("# Postmortem (draft): ResponseTimeSpike: p99 2.5 s over 10 s\n");
        File.Exists(Path.ChangeExtension(lines[0], ".svg")).ShouldBeTrue();

        byPrefix.ExitCode.ShouldBe(0, byPrefix.Stderr);
        byPrefix.Stdout.ShouldStartWith(output);
        (await File.ReadAllTextAsync(output)).ShouldContain("](feb15.svg)");
        System.Xml.Linq.XDocument.Load(Path.ChangeExtension(output, ".svg")).Root!.Name.LocalName.ShouldBe("svg");
    }

    [Fact]
    public async Task Postmortem_OutputIsAnotherFile_RefusesAndLeavesItWhileItsOwnDraftIsRewritten()
    {
        // Arrange: a README where the operator pointed --output by mistake, and this incident's own earlier draft
        using var dataDir = new TempDataDir();
        await ClusterTemplate.CopyIntoAsync(dataDir.Path);
        await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = dataDir.Path, Durable = false });
        var id = await RecordIncidentAsync(cluster, resolve: true);
        var readme = Path.Combine(dataDir.Path, "README.md");
        await File.WriteAllTextAsync(readme, "# Our own notes\n");
        var draft = Path.Combine(dataDir.Path, "feb15.md");
        (await CliProcess.RunAsync("postmortem", "latest", "--data-dir", dataDir.Path, "--output", draft)).ExitCode.ShouldBe(0);

        // Act
        var overReadme = await CliProcess.RunAsync("postmortem", "latest", "--data-dir", dataDir.Path, "--output", readme);
        var again = await CliProcess.RunAsync("postmortem", "latest", "--data-dir", dataDir.Path, "--output", draft);

        // Assert: the README is kept (before, it was overwritten and README.svg written beside it); the draft is written again
        overReadme.ExitCode.ShouldBe(1, overReadme.Stdout);
        overReadme.Stderr.ShouldContain($"{readme} already exists and is not a draft of incident {id}");
        (await File.ReadAllTextAsync(readme)).ShouldBe("# Our own notes\n");
        File.Exists(Path.ChangeExtension(readme, ".svg")).ShouldBeFalse();
        again.ExitCode.ShouldBe(0, again.Stderr);
    }

    [Fact]
    public async Task Postmortem_NoIncidentUnknownIdAndOpenIncident_ClearMessagesAndExitCodes()
    {
        // Arrange
        using var dataDir = new TempDataDir();
        await ClusterTemplate.CopyIntoAsync(dataDir.Path); // a made cluster: these tests are of the verb, not of initdb
        await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = dataDir.Path, Durable = false });

        // Act
        var none = await CliProcess.RunAsync("postmortem", "latest", "--data-dir", dataDir.Path);
        var id = await RecordIncidentAsync(cluster, resolve: false);
        var unknown = await CliProcess.RunAsync("postmortem", "ffffffff", "--data-dir", dataDir.Path);
        var invalid = await CliProcess.RunAsync("postmortem", "nope", "--data-dir", dataDir.Path);
        var open = await CliProcess.RunAsync("postmortem", "latest", "--data-dir", dataDir.Path);

        // Assert
        none.ExitCode.ShouldBe(1);
        none.Stderr.ShouldContain("no incident is recorded");
        unknown.ExitCode.ShouldBe(1);
        unknown.Stderr.ShouldContain("no incident 'ffffffff'");
        unknown.Stderr.ShouldNotContain("   at ");
        invalid.ExitCode.ShouldBe(1);
        invalid.Stderr.ShouldContain("first 8 hex digits");
        open.ExitCode.ShouldBe(0, open.Stderr);
        open.Stdout.ShouldContain($"{id}: ");
        open.Stdout.ShouldContain("open, still in progress");
        var path = open.Stdout.Split('\n')[0];
        (await File.ReadAllTextAsync(path)).ShouldContain("(open, still in progress)");
    }

    /// <summary>Drives the real tracker: 10 slow seconds, the alert, then (optionally) recovery until resolved.</summary>
    private static async Task<Guid> RecordIncidentAsync(PostgresCluster cluster, bool resolve)
    {
        await using (var owner = NpgsqlDataSource.Create(cluster.MigrationConnectionString))
        {
            await new IncidentStore(owner).EnsureSchemaAsync(CancellationToken.None); // as the service's start does
        }

        await using var dataSource = NpgsqlDataSource.Create(cluster.AppConnectionString);
        var store = new IncidentStore(dataSource);
        var options = new IncidentOptions { ResolveAfter = TimeSpan.FromSeconds(20) };
        var clients = new ClientImpactTracker(options, TimeProvider.System);
        var history = new SignalHistory(600);
        var resolved = new TaskCompletionSource<Incident>(TaskCreationOptions.RunContinuationsAsynchronously);
        Guid id;
        await using (var tracker = new IncidentTracker(options, new ServiceLevelObjectives(), new AlertOptions(), store, clients, "cli-test", TimeProvider.System, NullLogger<IncidentTracker>.Instance))
        {
            tracker.Resolved += (_, incident) => resolved.TrySetResult(incident);
            await tracker.StartAsync(CancellationToken.None);
            for (var i = 0; i < 10; i++)
            {
                Observe(tracker, history, Second(i, slow: true), i == 9 ? [Fire(9)] : [], i == 9 ? [Fire(9).Alert] : []);
            }

            id = tracker.Current!.Id;
            if (resolve)
            {
                Observe(tracker, history, Second(10, slow: false), [new AlertTransition(Alert(AlertState.Resolved, 9), AlertState.Firing, T0.AddSeconds(10))], []);
                for (var i = 11; i < 35; i++)
                {
                    Observe(tracker, history, Second(i, slow: false), [], []);
                }

                (await resolved.Task.WaitAsync(TimeSpan.FromSeconds(30))).Id.ShouldBe(id);
            }
        }

        return id;
    }

    private static void Observe(IncidentTracker tracker, SignalHistory history, SignalSnapshot snapshot, AlertTransition[] transitions, AlertSnapshot[] active)
    {
        history.Add(snapshot);
        tracker.Observe(snapshot, transitions, history, active);
    }

    private static SignalSnapshot Second(int second, bool slow)
    {
        double[] bounds = [0.1, 0.5, 2.5];
        var latency = new LatencyDistribution(bounds, slow ? [0, 0, 100, 0] : [100, 0, 0, 0]);
        return new SignalSnapshot
        {
            At = T0.AddSeconds(second),
            Requests = 100,
            Latency = latency,
            ServedLatency = latency,
            AdmissionLimit = 50,
            PoolUsed = slow ? 20 : 5,
            ConnectionShare = 20,
            ServerConnections = 40,
            MaxConnections = 100,
        };
    }

    private static AlertSnapshot Alert(AlertState state, int firedAt) => new()
    {
        Name = "ResponseTimeSpike",
        Severity = AlertSeverity.Page,
        State = state,
        FiringSince = T0.AddSeconds(firedAt),
        Summary = "p99 2.5 s over 10 s",
        Values = new Dictionary<string, double> { ["p99"] = 2.5 },
        Runbook = "docs/runbooks/ResponseTimeSpike.md",
    };

    private static AlertTransition Fire(int second) => new(Alert(AlertState.Firing, second), AlertState.Pending, T0.AddSeconds(second));
}
