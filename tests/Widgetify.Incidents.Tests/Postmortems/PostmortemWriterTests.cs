using System.Xml.Linq;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Timeline;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Postmortems;

[Collection(IncidentsGroup.Name)]
public sealed class PostmortemWriterTests(IncidentsCluster cluster)
{
    private static readonly string[] Sections =
    [
        "# Postmortem (draft): ",
        "## Issue Summary",
        "**Duration:**",
        "**Impact:**",
        "## Timeline",
        "- **Detection Time:**",
        "- **Detection Method:**",
        "- **Time to detect (TTD):**",
        "## Investigation: evidence",
        "## Root-cause candidates, ranked",
        "**Misleading paths, as on Feb 15.**",
        "## Resolution",
        "## Corrective and Preventive Measures",
        "- [ ] Task:",
        "## Chart",
        "![",
    ];

    [Fact]
    public async Task Write_StoredIncident_SectionsInOrderAndNumbersOfTheStore()
    {
        // Arrange: an incident recorded by the tracker and read back from the database.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store, time: new FakeTimeProvider(T0.AddMinutes(5)));
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Seconds(0, 9, i => Second(i));
        s.Seconds(10, 14, i => Second(i, requests: 200, errors: 20, shed: 30));
        s.Second(Second(15, requests: 200, errors: 20, shed: 30), Fire("ErrorBudgetBurn", 15, "25% of requests failed over 5 s"));
        s.Seconds(16, 19, i => Second(i, requests: 200, errors: 20, shed: 30));
        s.Second(Second(20), Resolve("ErrorBudgetBurn", 15, 20));
        s.Seconds(21, 49, i => Second(i));
        await s.FlushAsync();
        var incident = (await store.ListAsync(1, CancellationToken.None)).ShouldHaveSingleItem();
        var report = (await store.LoadReportAsync(incident.Id, CancellationToken.None)).ShouldNotBeNull();

        // Act
        var draft = PostmortemWriter.Write(report);

        // Assert
        AssertInOrder(draft.Markdown, Sections);
        draft.Markdown.ShouldStartWith("# Postmortem (draft): ErrorBudgetBurn: 25% of requests failed over 5 s\n");
        draft.Markdown.ShouldContain("- Start Time: February 15, 2026, 08:00:10 (UTC), the first second of the SLO breach");
        draft.Markdown.ShouldContain("- End Time: February 15, 2026, 08:00:49 (UTC), when the incident was resolved");
        draft.Markdown.ShouldContain($"- {incident.Impact.FailedOrShedPercent:0.##}% of requests failed or were shed: 500 of 5,000 (200 failed with 5xx, 300 shed with 503 and Retry-After).");
        draft.Markdown.ShouldContain("- 0% of requests were given up by their clients: 0 of 5,000 ended with 499 because the client went away before the answer. Not failures of ours: in neither count above.");
        draft.Markdown.ShouldContain("- **Detection Method:** the ErrorBudgetBurn alert fired: 25% of requests failed over 5 s");
        draft.Markdown.ShouldContain("- **Time to detect (TTD):** 5 s");
        draft.Markdown.ShouldContain("- **Time to mitigate (TTM):** 10 s");
        draft.Markdown.ShouldContain("- **Time to resolve (TTR):** 39 s");
        draft.Markdown.ShouldContain("| 08:00:10 | +00:00 | ImpactStarted |");
        draft.Markdown.ShouldContain("| Shed requests | 30/s |");
        draft.Markdown.ShouldContain($"![Latency, pool and errors during the incident]({draft.ChartFileName})");
        draft.FileName.ShouldBe($"20260215-0800-{incident.Id:D}.md");
        PostmortemWriter.Write(report).ShouldBe(draft, "the same report gives the same draft");
    }

    [Fact]
    public void DefaultBaseName_TwoIncidentsOpenedInTheSameMinute_Differ()
    {
        // UUIDv7 ids a second apart share their first 8 hex digits (the time, in units of 65 s): the names did too, and the
        // second draft overwrote the first
        var first = Reports.Build("ErrorBudgetBurn", ["ErrorBudgetBurn"], i => Reports.Sample(i)).Incident;
        var second = first with { Id = Guid.CreateVersion7(first.DetectedAt.AddSeconds(1)) };
        first.Id.ToString("N")[..8].ShouldBe(second.Id.ToString("N")[..8]);

        PostmortemWriter.DefaultBaseName(second).ShouldNotBe(PostmortemWriter.DefaultBaseName(first));
    }

    [Fact]
    public void Write_Feb15LikeSeries_RanksPoolSaturationFirst()
    {
        // Arrange: traffic up 1.5x, the pool at its share with opens waiting, the server near max_connections.
        var report = Reports.Build("ResponseTimeSpike", ["ResponseTimeSpike", "PoolSaturation", "ConnectionWaits"], i => i < 0
            ? Reports.Sample(i)
            : Reports.Sample(i, requests: 150, errors: 30, servedP99: 3, poolUsed: 40, share: 40, pending: 30, serverConnections: 97));

        // Act
        var draft = PostmortemWriter.Write(report);

        // Assert
        var ranking = Ranking(draft.Markdown);
        ranking[0].ShouldStartWith("1. **Pool saturation / connection exhaustion**: score 100/100");
        draft.Markdown.ShouldContain("Server connections peaked at 97 of max_connections 100 (97%)");
        draft.Markdown.ShouldContain("- [ ] Task: Review the connection budget and pool size");
        draft.Markdown.ShouldContain("recent code deployments, then a DDoS");
        draft.Markdown.ShouldContain("requests peaked at 150/s, 1.5x the 100/s before the impact");
    }

    [Fact]
    public async Task Write_ConnectionWaitsFiredOnAcquireTimeWithNothingPendingAtTheSampleInstant_EvidenceSaysOpensWaited()
    {
        // Arrange: issue 10's contradiction. Every second 30 opens take 0.2 s to get a connection (p99 0.2485 s, over
        // the 0.1 s threshold), but none is pending when the second is sampled. The real alert evaluator decides.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store, options: new IncidentOptions { ResolveAfter = TimeSpan.FromSeconds(5) });
        await s.Tracker.StartAsync(CancellationToken.None);
        var evaluator = new AlertEvaluator(s.Alerts, s.Slo);
        var history = new SignalHistory(3600);
        var fired = new List<AlertTransition>();
        void Run(int from, int to, Func<int, SignalSnapshot> make)
        {
            for (var i = from; i <= to; i++)
            {
                var snapshot = make(i);
                history.Add(snapshot);
                var transitions = evaluator.Evaluate(history, snapshot.At);
                fired.AddRange(transitions.Where(t => t.To == AlertState.Firing));
                s.Second(snapshot, [.. transitions]);
            }
        }

        Run(0, 9, i => Second(i));
        Run(10, 29, i => Second(i, latency: 0.3) with { AcquireWait = Latency(0.2, 30) });
        Run(30, 59, i => Second(i));
        await s.FlushAsync();
        var incident = (await store.ListAsync(1, CancellationToken.None)).ShouldHaveSingleItem();
        var report = (await store.LoadReportAsync(incident.Id, CancellationToken.None)).ShouldNotBeNull();

        // Act
        var markdown = PostmortemWriter.Write(report).Markdown;

        // Assert
        var connectionWaits = fired.First(t => t.Alert.Name == "ConnectionWaits").Alert;
        connectionWaits.Summary.ShouldContain("p99 time to get a connection");
        connectionWaits.Values["opens_waited"].ShouldBeGreaterThan(0);
        incident.Status.ShouldBe(IncidentStatus.Resolved);
        report.Samples.Where(x => x.At > T0.AddSeconds(10) && x.At <= T0.AddSeconds(29)).ShouldAllBe(x => x.Pending == 0 && x.OpensWaited == 30);
        markdown.ShouldNotContain("No connection open ever waited.");
        markdown.ShouldContain("| Connection opens that waited | 30/s |");
    }

    [Fact]
    public void Write_ConfigurationFindingAndServerAtItsLimit_RanksPoolSettingsFirstWithTheApplyTask()
    {
        // Arrange: Feb 15's settings stood (the review's critical finding) while server connections reached 95 of 100.
        const string finding = "3 instance(s) (registered in the budget) x (Max Pool Size 1000 + 1 control connection) = 3003 connections can exceed the 97 this server accepts.";
        var report = RootCauseRankingTests.WithFinding(
            Reports.Build("DbConnectionsNearLimit", ["DbConnectionsNearLimit"], i => Reports.Sample(i, serverConnections: i < 0 ? 50 : 95)), finding);

        // Act
        var markdown = PostmortemWriter.Write(report).Markdown;

        // Assert
        Ranking(markdown)[0].ShouldBe("1. **Pool settings the server cannot take**: score 80/100");
        markdown.ShouldContain("   - For: The pool review found: " + finding);
        markdown.ShouldContain($"| 08:00:10 | +00:10 | ConfigurationFinding | {finding} |");
        markdown.ShouldContain("**If pool settings the server cannot take (score 80):**");
        markdown.ShouldContain(
            "- [ ] Task: Apply the pool review's recommendation: `./widgetify review --apply` (or set `Widgetify:Database:MaxPoolSize` to the recommended value), then check that `GET /api/review` has no critical finding.");
    }

    [Fact]
    public void Write_StormWithSheddingAndAHealthyPool_RanksTrafficSpikeFirst()
    {
        // Arrange
        var report = Reports.Build("SheddingActive", ["SheddingActive", "ErrorBudgetBurn"], i => i < 0
            ? Reports.Sample(i)
            : Reports.Sample(i, requests: 1000, shed: 700, servedP99: 0.3, poolUsed: 20, share: 40));

        // Act
        var ranking = Ranking(PostmortemWriter.Write(report).Markdown);

        // Assert
        ranking[0].ShouldStartWith("1. **Traffic spike**: score 100/100");
        ranking[1].ShouldNotContain("score 100/100");
    }

    [Fact]
    public void Write_TwoInstancesTickingAtDifferentMomentsOfTheSecond_CombinesThemPerSecond()
    {
        // Arrange: instance b's samples end 0.4 s after a's, each with its own pool of 20 in use.
        var single = Reports.Build("PoolSaturation", ["PoolSaturation"], i => Reports.Sample(i, poolUsed: 20, share: 40));
        var b = single.Samples.Select(x => x with { Instance = "b", At = x.At.AddMilliseconds(400) });
        var report = single with { Samples = [.. single.Samples, .. b] };

        // Act
        var markdown = PostmortemWriter.Write(report).Markdown;

        // Assert: the fleet's second sums both pools (40 of a share of 80), not one instance at a time.
        markdown.ShouldContain("| Pool connections in use | 40 of a share of 80 |");
    }

    [Fact]
    public void Write_DatabaseDownSeries_RanksDatabaseDownFirst()
    {
        // Arrange
        var report = Reports.Build("DatabaseDown", ["DatabaseDown"], i => i < 0
            ? Reports.Sample(i)
            : Reports.Sample(i, errors: 100, databaseUp: false, poolUsed: 0, serverConnections: null));

        // Act
        var draft = PostmortemWriter.Write(report);

        // Assert
        Ranking(draft.Markdown)[0].ShouldStartWith("1. **Database down**: score 100/100");
        draft.Markdown.ShouldContain("| Database down | 61 s |");
    }

    [Fact]
    public void Write_Chart_IsWellFormedSvgWithThreePanelsAndTheMarkers()
    {
        // Arrange
        var report = Reports.Build("ResponseTimeSpike", ["ResponseTimeSpike"], i => Reports.Sample(i, servedP99: i < 0 ? 0.1 : 2));

        // Act
        var svg = XDocument.Parse(PostmortemWriter.Write(report).ChartSvg);

        // Assert
        XNamespace ns = "http://www.w3.org/2000/svg";
        svg.Root!.Name.ShouldBe(ns + "svg");
        svg.Descendants(ns + "g").Count(g => (string?)g.Attribute("class") == "panel").ShouldBe(3);
        svg.Descendants(ns + "line").Count(l => (string?)l.Attribute("class") == "marker").ShouldBe(4);
        svg.Descendants(ns + "text").Select(t => t.Value).ShouldContain("SLO p99 0.5");
        svg.Descendants(ns + "polyline").Count().ShouldBeGreaterThanOrEqualTo(8);
    }

    [Fact]
    public void Write_OpenIncident_IsMarkedInProgress()
    {
        // Arrange
        var report = Reports.Build("ResponseTimeSpike", ["ResponseTimeSpike"], i => Reports.Sample(i, servedP99: 2), resolved: false);

        // Act
        var draft = PostmortemWriter.Write(report);

        // Assert
        draft.Markdown.ShouldStartWith("# Postmortem (draft): ResponseTimeSpike: trouble (open, still in progress)\n");
        draft.Markdown.ShouldContain("- **Time to resolve (TTR):** n/a (not resolved yet)");
    }

    private static List<string> Ranking(string markdown) =>
        markdown.Split('\n').SkipWhile(l => l != "## Root-cause candidates, ranked").Where(l => l.Length > 3 && char.IsDigit(l[0]) && l[1] == '.').ToList();

    private static void AssertInOrder(string text, string[] parts)
    {
        var at = 0;
        foreach (var part in parts)
        {
            var next = text.IndexOf(part, at, StringComparison.Ordinal);
            next.ShouldBeGreaterThanOrEqualTo(0, $"'{part}' must follow the previous section");
            at = next + part.Length;
        }
    }
}

/// <summary>Incident reports built in memory: a minute of baseline, then 61 s of incident.</summary>
internal static class Reports
{
    public static IncidentSample Sample(
        int second, long requests = 100, long errors = 0, long shed = 0, double servedP99 = 0.1, long poolUsed = 10, long share = 40,
        long pending = 0, long? serverConnections = 50, bool databaseUp = true) => new()
    {
        At = T0.AddSeconds(second),
        Instance = "a",
        Requests = requests,
        Bad = errors + shed,
        Shed = shed,
        P50 = servedP99 / 3,
        P99 = servedP99,
        ServedP99 = servedP99,
        AdmissionLimit = 100,
        PoolUsed = poolUsed,
        Share = share,
        Pending = pending,
        OpensWaited = pending,
        ServerConnections = serverConnections,
        MaxConnections = 100,
        DatabaseUp = databaseUp,
        Commits = 100,
    };

    public static IncidentReport Build(string detectedBy, string[] alerts, Func<int, IncidentSample> sample, bool resolved = true)
    {
        var samples = Enumerable.Range(-60, 121).Select(sample).ToList();
        var incident = new Incident
        {
            Id = Guid.CreateVersion7(T0.AddSeconds(10)),
            Title = $"{detectedBy}: trouble",
            Status = resolved ? IncidentStatus.Resolved : IncidentStatus.Open,
            ImpactStartedAt = T0,
            DetectedAt = T0.AddSeconds(10),
            MitigatedAt = resolved ? T0.AddSeconds(40) : null,
            ResolvedAt = resolved ? T0.AddSeconds(60) : null,
            DetectedBy = detectedBy,
            DetectionSummary = "trouble",
            Alerts = alerts,
            Instances = ["a"],
            Impact = new IncidentImpact
            {
                Requests = samples.Where(x => x.At >= T0).Sum(x => x.Requests),
                Failed = samples.Where(x => x.At >= T0).Sum(x => x.ServerErrors),
                Shed = samples.Where(x => x.At >= T0).Sum(x => x.Shed),
                Clients = 1000,
                ClientsAffected = 400,
            },
        };
        return new IncidentReport
        {
            Incident = incident,
            Events =
            [
                new IncidentEvent { At = T0, Kind = IncidentEventKind.ImpactStarted, Message = "Impact started.", Instance = "a" },
                new IncidentEvent { At = T0.AddSeconds(10), Kind = IncidentEventKind.Detected, Message = "Detected.", Instance = "a" },
            ],
            Samples = samples,
        };
    }
}
