using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Incidents.Persistence;
using Widgetify.Incidents.Timeline;
using Widgetify.Postgres;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Persistence;

[Collection(IncidentsGroup.Name)]
public sealed class IncidentStoreTests(IncidentsCluster cluster)
{
    [Fact]
    public async Task StartAsync_IncidentOpenBeforeARestart_ReattachesAndResolvesIt()
    {
        // Arrange: the first process opens an incident and dies with it open.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        Guid id;
        await using (var before = new Scenario(store))
        {
            await before.Tracker.StartAsync(CancellationToken.None);
            before.Seconds(10, 14, i => Second(i, latency: 2));
            before.Second(Second(15, latency: 2), Fire("ResponseTimeSpike", 15));
            await before.FlushAsync();
            id = before.Tracker.Current!.Id;
        }

        // Act: a new process, same instance name, same database.
        await using var after = new Scenario(store, time: new FakeTimeProvider(T0.AddSeconds(20)));
        var resolved = new List<Incident>();
        after.Tracker.Resolved += (_, incident) => resolved.Add(incident);
        await after.Tracker.StartAsync(CancellationToken.None);
        var reattached = after.Tracker.Current;
        after.Seconds(20, 49, i => Second(i));
        await after.FlushAsync();

        // Assert
        reattached.ShouldNotBeNull().Id.ShouldBe(id);
        reattached.ImpactStartedAt.ShouldBe(T0.AddSeconds(10));
        var incident = resolved.ShouldHaveSingleItem();
        incident.Id.ShouldBe(id);
        incident.ResolvedAt.ShouldBe(T0.AddSeconds(49));
        incident.Impact.Requests.ShouldBe((6 * 100) + (30 * 100), "the totals stored before the restart carry on");
        var report = (await store.LoadReportAsync(id, CancellationToken.None)).ShouldNotBeNull();
        report.Events.Select(e => e.Kind).ShouldBe(
            [IncidentEventKind.ImpactStarted, IncidentEventKind.Detected, IncidentEventKind.Note, IncidentEventKind.Note, IncidentEventKind.Mitigated, IncidentEventKind.Resolved]);
        var notes = report.Events.Where(e => e.Kind == IncidentEventKind.Note).ToList();
        notes[0].Message.ShouldContain("stopped while the incident was open");
        notes[1].Message.ShouldContain("re-attached");
    }

    [Fact]
    public async Task StartAsync_AnotherInstanceStoppedWithTheIncidentOpen_TheNewOneResolvesItOnceHealthy()
    {
        // Arrange: instance a opens an incident and is stopped (gracefully) while it is still open.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        Guid id;
        await using (var a = new Scenario(store, instance: "a"))
        {
            await a.Tracker.StartAsync(CancellationToken.None);
            a.Second(Second(15, latency: 2), Fire("ResponseTimeSpike", 15));
            await a.FlushAsync();
            id = a.Tracker.Current!.Id;
        }

        // Act: b starts right after (within a's liveness) and is healthy.
        await using var b = new Scenario(store, instance: "b", time: new FakeTimeProvider(T0.AddSeconds(20)));
        var resolved = new List<Incident>();
        b.Tracker.Resolved += (_, incident) => resolved.Add(incident);
        await b.Tracker.StartAsync(CancellationToken.None);
        b.Seconds(20, 49, i => Second(i));
        await b.FlushAsync();

        // Assert: a said it left, so b does not wait for it: b resolves the incident it re-attached to.
        resolved.ShouldHaveSingleItem().Id.ShouldBe(id);
    }

    [Fact]
    public async Task CloseAbandonedAsync_NoInstanceReportedWithinLiveness_ResolvesItAsAbandoned()
    {
        // Arrange: a process opens an incident and stops with it open.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        Guid id;
        await using (var before = new Scenario(store))
        {
            await before.Tracker.StartAsync(CancellationToken.None);
            before.Second(Second(15, latency: 2), Fire("ResponseTimeSpike", 15));
            await before.FlushAsync();
            id = before.Tracker.Current!.Id;
        }

        // Act
        var closedWithinLiveness = await store.CloseAbandonedAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        var stillLive = await store.FindOpenAsync(CancellationToken.None);
        var closedAfterLiveness = await store.CloseAbandonedAsync(TimeSpan.Zero, CancellationToken.None);
        var afterLiveness = await store.FindOpenAsync(CancellationToken.None);

        // Assert: within the liveness it is still open; past it, it is resolved and says why, so nobody joins it.
        closedWithinLiveness.ShouldBe(0);
        stillLive.ShouldNotBeNull().Id.ShouldBe(id);
        closedAfterLiveness.ShouldBe(1);
        afterLiveness.ShouldBeNull();
        var report = (await store.LoadReportAsync(id, CancellationToken.None)).ShouldNotBeNull();
        report.Incident.Status.ShouldBe(IncidentStatus.Resolved);
        report.Incident.ResolvedAt.ShouldNotBeNull();
        report.Events[^1].Kind.ShouldBe(IncidentEventKind.Resolved);
        report.Events[^1].Message.ShouldContain("abandoned");
    }

    [Fact]
    public async Task CloseAbandonedAsync_OneInstanceLeftAndTheOtherStoppedReporting_ResolvesItAsAbandoned()
    {
        // Arrange: a and b share an incident; a recovers and leaves while b is still in it; then b stops reporting.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var a = new Scenario(store, instance: "a");
        await using var b = new Scenario(store, instance: "b");
        await a.Tracker.StartAsync(CancellationToken.None);
        await b.Tracker.StartAsync(CancellationToken.None);
        a.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
        await a.FlushAsync();
        b.Second(Second(11, latency: 2), Fire("PoolSaturation", 11, "pool 20 of 20 in use"));
        await b.FlushAsync();
        a.Second(Second(11), Resolve("ResponseTimeSpike", 10, 11));
        a.Seconds(12, 40, i => Second(i));
        await a.FlushAsync();
        await database.ExecuteAsync("UPDATE widgetify_incident_instances SET seen_at = clock_timestamp() - interval '1 minute' WHERE instance = 'b'");

        // Act
        await store.CloseAbandonedAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        var open = await store.FindOpenAsync(CancellationToken.None);

        // Assert: a's recent departure does not keep it alive; only an instance still in it would.
        a.Tracker.Current.ShouldBeNull("a recovered and left");
        open.ShouldBeNull();
        var incident = (await store.ListAsync(1, CancellationToken.None)).ShouldHaveSingleItem();
        incident.Status.ShouldBe(IncidentStatus.Resolved);
    }

    [Fact]
    public async Task ApplyAsync_TwoInstancesDetectTheSameTrouble_JoinOneIncidentResolvedByTheLast()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var a = new Scenario(store, instance: "a");
        await using var b = new Scenario(store, instance: "b");
        await a.Tracker.StartAsync(CancellationToken.None);
        await b.Tracker.StartAsync(CancellationToken.None);
        var resolvedByA = new List<Incident>();
        var resolvedByB = new List<Incident>();
        a.Tracker.Resolved += (_, incident) => resolvedByA.Add(incident);
        b.Tracker.Resolved += (_, incident) => resolvedByB.Add(incident);

        // Act: both see it; a recovers first, b later.
        a.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
        await a.FlushAsync();
        b.Second(Second(11, latency: 2, requests: 50), Fire("PoolSaturation", 11, "pool 20 of 20 in use"));
        await b.FlushAsync();
        var joined = b.Tracker.Current!.Id;
        a.Second(Second(11), Resolve("ResponseTimeSpike", 10, 11));
        a.Seconds(12, 40, i => Second(i));
        await a.FlushAsync();
        var leftByA = a.Tracker.Current;
        var afterA = await store.FindAsync(joined.ToString("N")[..12], CancellationToken.None);
        b.Second(Second(12, requests: 50), Resolve("PoolSaturation", 11, 12));
        b.Seconds(13, 41, i => Second(i, requests: 50));
        await b.FlushAsync();

        // Assert
        leftByA.ShouldBeNull("a recovered");
        afterA.ShouldNotBeNull().Id.ShouldBe(joined);
        afterA.Status.ShouldNotBe(IncidentStatus.Resolved, "b still reports the incident");
        resolvedByA.ShouldBeEmpty();
        var incident = resolvedByB.ShouldHaveSingleItem();
        incident.Id.ShouldBe(afterA.Id);
        incident.Instances.ShouldBe(["a", "b"]);
        incident.Alerts.ShouldBe(["ResponseTimeSpike", "PoolSaturation"]);
        incident.Impact.Requests.ShouldBe((31 * 100) + (31 * 50));
        (await store.ListAsync(10, CancellationToken.None)).ShouldHaveSingleItem();
        var report = (await store.LoadReportAsync(incident.Id, CancellationToken.None))!;
        report.Events.Count(e => e.Kind == IncidentEventKind.Detected).ShouldBe(1, "b's detection is recorded as a join, not a second detection");
        report.Events.ShouldContain(e => e.Kind == IncidentEventKind.Note && e.Message.StartsWith("Instance b joined", StringComparison.Ordinal));
        report.Events.ShouldContain(e => e.Kind == IncidentEventKind.Note && e.Message.StartsWith("Instance a recovered", StringComparison.Ordinal));
        report.Samples.Select(x => x.Instance).Distinct().Order().ShouldBe(["a", "b"]);
    }

    [Fact]
    public async Task ApplyAsync_JoinDeliveredAgainAfterTheJoinedIncidentResolved_FindsItRatherThanJoiningTheOneOpenNow()
    {
        // Arrange: a's detection joins x's incident X; X resolves; y opens Y.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var x = new Scenario(store, instance: "x");
        await x.Tracker.StartAsync(CancellationToken.None);
        x.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
        await x.FlushAsync();
        var local = Guid.CreateVersion7(T0.AddSeconds(12));
        var (detectedId, leftId) = (Guid.CreateVersion7(T0.AddSeconds(12)), Guid.CreateVersion7(T0.AddSeconds(13)));
        OutboxBatch Batch()
        {
            var handle = new IncidentHandle(local);
            var incident = new Incident
            {
                Id = local, Title = "PoolSaturation: pool 20 of 20 in use", Status = IncidentStatus.Open, ImpactStartedAt = T0.AddSeconds(12),
                DetectedAt = T0.AddSeconds(12), DetectedBy = "PoolSaturation", DetectionSummary = "pool 20 of 20 in use", Alerts = ["PoolSaturation"],
            };
            var detected = new IncidentEvent
            {
                Id = detectedId, At = T0.AddSeconds(12), Kind = IncidentEventKind.Detected, Message = "Detected by PoolSaturation.", Instance = "a",
            };
            var left = new IncidentEvent
            {
                Id = leftId, At = T0.AddSeconds(13), Kind = IncidentEventKind.Note, Message = "Instance a stopped.", Instance = "a",
            };
            var final = new StateOp(handle, IncidentStatus.Open, null, ["PoolSaturation"], IncidentImpact.None);
            return new OutboxBatch(
                [new OpenOp(handle, incident, 0.5, 0.999), new EventOp(handle, detected, Opening: true), new LeaveOp(handle, final, T0.AddSeconds(13), left)], [], []);
        }

        var first = await store.ApplyAsync(Batch(), "a", TimeSpan.FromSeconds(60), CancellationToken.None);
        x.Second(Second(11), Resolve("ResponseTimeSpike", 10, 11));
        x.Seconds(12, 45, i => Second(i));
        await x.FlushAsync();
        await using var y = new Scenario(store, instance: "y", time: new FakeTimeProvider(T0.AddSeconds(50)));
        await y.Tracker.StartAsync(CancellationToken.None);
        y.Second(Second(50, latency: 2), Fire("ResponseTimeSpike", 50));
        await y.FlushAsync();
        var yId = y.Tracker.Current!.Id;

        // Act: the same open delivered again (a commit whose acknowledgement was lost, a spool delivered twice).
        var again = await store.ApplyAsync(Batch(), "a", TimeSpan.FromSeconds(60), CancellationToken.None);

        // Assert
        var xId = first.Opened.ShouldHaveSingleItem().Id;
        first.Opened[0].Joined.ShouldBeTrue();
        again.Opened.ShouldHaveSingleItem().Id.ShouldBe(xId, "the incident it joined, resolved since");
        again.Opened[0].Joined.ShouldBeTrue();
        (await store.ListAsync(10, CancellationToken.None)).Select(i => i.Id).ShouldBe([yId, xId], ignoreOrder: true);
        var yNow = (await store.LoadReportAsync(yId, CancellationToken.None)).ShouldNotBeNull();
        yNow.Incident.Alerts.ShouldBe(["ResponseTimeSpike"], "Y never heard of a's PoolSaturation");
        yNow.Events.ShouldNotContain(e => e.Instance == "a");
        (await store.LoadReportAsync(xId, CancellationToken.None)).ShouldNotBeNull().Events.Count(e => e.Instance == "a").ShouldBe(2);
    }

    [Fact]
    public async Task FlushAsync_DatabaseStopped_KeepsTheTimelineAndWritesItWhenBack()
    {
        // Arrange: a server of its own, stopped and started again on the same port.
        var root = Path.Combine(Path.GetTempPath(), "widgetify-test-" + Guid.NewGuid().ToString("N")[..12]);
        var options = new PostgresClusterOptions { DataDirectory = root, Durable = false, MaxConnections = 20, Port = FreeTcpPort() };
        var server = await PostgresCluster.StartAsync(options);
        try
        {
            await using (var owner = NpgsqlDataSource.Create(server.MigrationConnectionString))
            {
                await new IncidentStore(owner).EnsureSchemaAsync(CancellationToken.None); // as the service's start does
            }

            await using var dataSource = NpgsqlDataSource.Create(server.AppConnectionString);
            var store = new IncidentStore(dataSource);
            await using var s = new Scenario(store);
            await s.Tracker.StartAsync(CancellationToken.None);
            s.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
            await s.FlushAsync();
            var id = s.Tracker.Current!.Id;

            // Act: the database goes away while the incident goes on.
            await server.StopAsync();
            s.Second(Second(11, databaseUp: false, requests: 0), Fire("DatabaseDown", 11, "no answer from PostgreSQL for 1 s"));
            s.Seconds(12, 20, i => Second(i, databaseUp: false, requests: 0));
            var failed = await s.Tracker.FlushAsync(CancellationToken.None);
            var pendingWhileDown = s.Tracker.Pending;
            server = await PostgresCluster.StartAsync(options);
            await BoundedWait.UntilAsync(() => s.Tracker.FlushAsync(CancellationToken.None), () => $"pending {s.Tracker.Pending}", "the flush succeeds once the database is back", TimeSpan.FromSeconds(30));

            // Assert
            failed.ShouldBeFalse();
            pendingWhileDown.Ops.ShouldBeGreaterThan(0);
            pendingWhileDown.Samples.ShouldBe(10);
            s.Tracker.Pending.ShouldBe((0, 0));
            var report = (await store.LoadReportAsync(id, CancellationToken.None)).ShouldNotBeNull();
            report.Events.ShouldContain(e => e.Kind == IncidentEventKind.AlertFiring && e.Message.StartsWith("DatabaseDown fired", StringComparison.Ordinal) && e.At == T0.AddSeconds(11));
            report.Samples.Count(x => !x.DatabaseUp).ShouldBe(10);
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task FindAsync_PrefixOfEightHexDigits_FindsTheIncidentAndRejectsBadInput()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using var s = new Scenario(store);
        s.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
        await s.FlushAsync();
        var id = s.Tracker.Current!.Id;

        // Act
        var byPrefix = await store.FindAsync(id.ToString("N")[..8].ToUpperInvariant(), CancellationToken.None);
        var byFullId = await store.FindAsync(id.ToString(), CancellationToken.None);
        var unknown = await store.FindAsync("ffffffff", CancellationToken.None);
        var tooShort = await Should.ThrowAsync<ArgumentException>(() => store.FindAsync("0195", CancellationToken.None));

        // Assert
        byPrefix!.Id.ShouldBe(id);
        byFullId!.Id.ShouldBe(id);
        unknown.ShouldBeNull();
        tooShort.Message.ShouldContain("first 8 hex digits");
    }

    [Fact]
    public async Task EnsureSchemaAsync_ManyInstancesAtOnce_AllSucceed()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);

        // Act
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.EnsureSchemaAsync(CancellationToken.None)));

        // Assert
        (await store.ListAsync(10, CancellationToken.None)).ShouldBeEmpty();
    }

    [Fact]
    public async Task EnsureSchemaAsync_SchemaCurrentWhileAReaderHoldsTheTables_ReturnsWithoutWaitingForItsLocks()
    {
        // Arrange: the schema in place, and a peer's open transaction that has read the incidents (its ACCESS SHARE locks
        // stay until it ends). ALTER TABLE would wait for them: with the store's 2 s lock_timeout it would fail.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            (await IncidentSchema.IsCurrentAsync(connection, CancellationToken.None)).ShouldBeFalse("a new database has no tables");
        }

        await store.EnsureSchemaAsync(CancellationToken.None);
        await using var reader = await database.DataSource.OpenConnectionAsync();
        await using var readerTransaction = await reader.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM widgetify_incidents, widgetify_incident_instances, widgetify_incident_samples", reader, readerTransaction))
        {
            await read.ExecuteScalarAsync();
        }

        // Act
        var exception = await Record.ExceptionAsync(() => store.EnsureSchemaAsync(CancellationToken.None));

        // Assert
        exception.ShouldBeNull("a current schema needs no DDL, so no lock the reader holds");
        await using var check = await database.DataSource.OpenConnectionAsync();
        (await IncidentSchema.IsCurrentAsync(check, CancellationToken.None)).ShouldBeTrue();
    }

    [Fact]
    public async Task EnsureSchemaAsync_TablesFromBeforeClientsThatGaveUpWereCounted_AddsTheColumnsAtZeroAndCountsOnFromThere()
    {
        // Arrange: the tables as the previous release left them (no client_closed), with an open incident in them.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        await database.ExecuteAsync(string.Join('\n', IncidentSchema.CreateSql.Split('\n').Where(line => !line.Contains("client_closed", StringComparison.Ordinal))));
        await database.ExecuteAsync("""
            INSERT INTO widgetify_incidents (id, title, status, impact_started_at, detected_at, detected_by, detection_summary,
                slo_p99_seconds, slo_availability, opened_by)
            VALUES ('019c6000-0000-7000-8000-000000000001', 'ResponseTimeSpike: slow', 'open', '2026-02-15 08:00:05+00',
                '2026-02-15 08:00:10+00', 'ResponseTimeSpike', 'slow', 0.5, 0.999, 'a');
            INSERT INTO widgetify_incident_instances (incident_id, instance, joined_at, requests, failed, shed)
            VALUES ('019c6000-0000-7000-8000-000000000001', 'a', '2026-02-15 08:00:10+00', 1000, 10, 20);
            INSERT INTO widgetify_incident_samples (incident_id, at, instance, requests, bad, shed, admission_limit, in_flight, queued,
                pool_used, share, pending, db_up, deadlocks, rollbacks, commits)
            VALUES ('019c6000-0000-7000-8000-000000000001', '2026-02-15 08:00:10+00', 'a', 100, 3, 2, 100, 10, 0, 5, 20, 0, true, 0, 0, 100);
            """);
        var id = Guid.Parse("019c6000-0000-7000-8000-000000000001");

        // Act: an instance of this release starts on it (twice: the migration is idempotent), re-attaches and counts on.
        await store.EnsureSchemaAsync(CancellationToken.None);
        var migrated = (await store.LoadReportAsync(id, CancellationToken.None)).ShouldNotBeNull();
        await using var s = new Scenario(store, time: new FakeTimeProvider(T0.AddSeconds(20)));
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Second(Second(20, clientClosed: 3));
        await s.FlushAsync();
        var after = (await store.FindAsync(id.ToString(), CancellationToken.None)).ShouldNotBeNull();

        // Assert: the rows stored before count no clients that gave up; the new ones do, on top of the stored totals.
        migrated.Incident.Impact.Requests.ShouldBe(1000);
        migrated.Incident.Impact.ClientClosed.ShouldBe(0);
        migrated.Samples.ShouldHaveSingleItem().ClientClosed.ShouldBe(0);
        s.Tracker.Current.ShouldNotBeNull().Id.ShouldBe(id, "it re-attached to the stored incident");
        after.Impact.Requests.ShouldBe(1100);
        after.Impact.Failed.ShouldBe(10);
        after.Impact.ClientClosed.ShouldBe(3);
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
