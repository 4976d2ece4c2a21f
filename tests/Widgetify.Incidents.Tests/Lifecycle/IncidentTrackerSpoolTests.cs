using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Incidents.Persistence;
using Widgetify.Incidents.Spool;
using Widgetify.Incidents.Timeline;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Lifecycle;

/// <summary>An incident opened while the database is down, and a stop before it is back: the writes go to the spool
/// (<see cref="IncidentOptions.SpoolFile"/>) and the next start delivers them.</summary>
[Collection(IncidentsGroup.Name)]
public sealed class IncidentTrackerSpoolTests(IncidentsCluster cluster)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task DisposeAsync_DatabaseDownFromTheIncidentToTheStop_TheNextStartStoresItWithItsTimelineAndResolvesIt()
    {
        // Arrange: a server of its own, stopped before the incident opens and started again only after the service stopped.
        await using var postgres = await TestPostgres.StartAsync(20);
        await using (var owner = postgres.CreateOwnerDataSource())
        {
            await new IncidentStore(owner).EnsureSchemaAsync(CancellationToken.None); // as the service's start does
        }

        var spoolPath = Path.Combine(postgres.Root, "widgetify-data", "incidents.spool.json");
        var stopLog = new FakeLogger<IncidentTracker>();
        Guid id;
        await using (var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString))
        {
            await using var before = new Scenario(new IncidentStore(dataSource), options: new IncidentOptions { SpoolFile = spoolPath }, instance: "a", logger: stopLog);
            await before.Tracker.StartAsync(CancellationToken.None);
            await postgres.StopAsync();
            before.Seconds(10, 14, i => Second(i, databaseUp: false, requests: 0));
            before.Second(Second(15, databaseUp: false, requests: 0), Fire("DatabaseDown", 15, "no answer from PostgreSQL for 5 s"));
            before.Seconds(16, 20, i => Second(i, databaseUp: false, requests: 0));
            (await before.Tracker.FlushAsync(CancellationToken.None)).ShouldBeFalse("the database is down");
            id = before.Tracker.Current.ShouldNotBeNull().Id;
        }

        var spooled = File.Exists(spoolPath);
        var mode = spooled ? File.GetUnixFileMode(spoolPath) : default;
        var files = Directory.GetFiles(Path.GetDirectoryName(spoolPath)!);

        // Act: the database is back, and the next process starts (another instance name, as host/pid gives).
        await postgres.StartAgainAsync();
        await using var dataSourceAfter = NpgsqlDataSource.Create(postgres.ConnectionString);
        var store = new IncidentStore(dataSourceAfter);
        await using var after = new Scenario(store, options: new IncidentOptions { SpoolFile = spoolPath }, instance: "b", time: new FakeTimeProvider(T0.AddSeconds(30)));
        var resolved = new List<Incident>();
        after.Tracker.Resolved += (_, incident) => resolved.Add(incident);
        await after.Tracker.StartAsync(CancellationToken.None);
        var reattached = after.Tracker.Current;
        var spoolLeft = File.Exists(spoolPath);
        after.Seconds(30, 59, i => Second(i));
        await after.FlushAsync();

        // Assert
        spooled.ShouldBeTrue("the stop kept what the database did not take");
        mode.ShouldBe(OwnerOnly);
        files.ShouldBe([spoolPath], "no temporary file is left behind");
        var stopLines = stopLog.Collector.GetSnapshot();
        stopLines.ShouldContain(r => r.Level == LogLevel.Warning && r.Message.Contains("the database is unavailable") && r.Message.Contains("kept in " + spoolPath));
        stopLines.ShouldAllBe(r => r.Exception == null, "a database that is down is expected: one line each, no stack trace");
        spoolLeft.ShouldBeFalse("the file is deleted once the database has taken it");
        reattached.ShouldNotBeNull().Id.ShouldBe(id, "the incident a left open is re-attached to, as after any restart");
        var incident = resolved.ShouldHaveSingleItem();
        incident.Id.ShouldBe(id);
        incident.ResolvedAt.ShouldBe(T0.AddSeconds(59));
        incident.DetectedBy.ShouldBe("DatabaseDown");
        incident.Instances.ShouldBe(["a", "b"], ignoreOrder: true);
        var report = (await store.LoadReportAsync(id, CancellationToken.None)).ShouldNotBeNull();
        report.Events.ShouldContain(e => e.Kind == IncidentEventKind.Detected && e.At == T0.AddSeconds(15) && e.Instance == "a");
        report.Events.ShouldContain(e => e.Kind == IncidentEventKind.Note && e.Instance == "a" && e.Message.Contains("stopped while the incident was open"));
        report.Events.ShouldContain(e => e.Kind == IncidentEventKind.Note && e.Instance == "b" && e.Message.Contains("re-attached"));
        report.Events[^1].Kind.ShouldBe(IncidentEventKind.Resolved);
        report.Samples.Count(s => s.Instance == "a" && !s.DatabaseUp).ShouldBe(11, "every second a saw, 10 to 20");
    }

    [Fact]
    public async Task DisposeAsync_DatabaseDownAndNoSpoolFile_SaysInOneLineHowMuchIsLost()
    {
        // Arrange
        await using var dataSource = NpgsqlDataSource.Create(UnreachableDatabase());
        var log = new FakeLogger<IncidentTracker>();
        var s = new Scenario(new IncidentStore(dataSource), instance: "a", logger: log);
        await s.Tracker.StartAsync(CancellationToken.None);
        s.Second(Second(15, databaseUp: false, requests: 0), Fire("DatabaseDown", 15, "no answer from PostgreSQL for 5 s"));

        // Act
        await s.DisposeAsync();

        // Assert
        var lines = log.Collector.GetSnapshot();
        lines.ShouldContain(r => r.Level == LogLevel.Error && r.Message.Contains("are lost. Set Widgetify:Monitoring:Incidents:SpoolFile"));
        lines.ShouldAllBe(r => r.Exception == null, "a database that is down is expected: one line each, no stack trace");
    }

    [Theory]
    [InlineData("{ \"version\": 1, \"sections\": [ { \"instance\": ", "it is not a spool file")]
    [InlineData("{ \"version\": 2, \"layout\": \"of the future\" }", "it is version 2, written by a newer Widgetify; this one reads version 1")]
    [InlineData("{ \"version\": 1, \"writtenAt\": \"2026-02-15T08:00:00Z\", \"writtenBy\": \"a\" }", "it is not a complete version-1 spool")]
    public async Task StartAsync_SpoolUnreadable_MovesItAsideSaysWhyAndRecordsIncidentsAsUsual(string content, string reason)
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        var folder = Directory.CreateTempSubdirectory("widgetify-spool-");
        try
        {
            var spoolPath = Path.Combine(folder.FullName, "incidents.spool.json");
            await File.WriteAllTextAsync(spoolPath, content);
            var log = new FakeLogger<IncidentTracker>();
            await using var s = new Scenario(store, options: new IncidentOptions { SpoolFile = spoolPath }, logger: log);

            // Act
            await s.Tracker.StartAsync(CancellationToken.None);
            s.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
            await s.FlushAsync();

            // Assert
            var aside = spoolPath + ".unreadable-20260215T080000Z";
            Directory.GetFiles(folder.FullName).ShouldBe([aside]);
            (await File.ReadAllTextAsync(aside)).ShouldBe(content);
            var line = log.Collector.GetSnapshot().Where(r => r.Message.StartsWith("Could not read the incident spool", StringComparison.Ordinal)).ShouldHaveSingleItem();
            line.Level.ShouldBe(LogLevel.Error);
            line.Message.ShouldContain(reason);
            line.Message.ShouldContain("Moved it to " + aside);
            (await store.ListAsync(10, CancellationToken.None)).ShouldHaveSingleItem().DetectedBy.ShouldBe("ResponseTimeSpike");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_DatabaseRefusesTheSpool_MovesItAsideAndRecordsIncidentsAsUsual()
    {
        // Arrange: a spool whose incident is not in the database (deleted by hand meanwhile): every retry would be refused.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        var folder = Directory.CreateTempSubdirectory("widgetify-spool-");
        try
        {
            var spoolPath = Path.Combine(folder.FullName, "incidents.spool.json");
            var gone = new IncidentHandle(Guid.CreateVersion7(T0)) { Joined = true };
            var note = new IncidentEvent { Id = Guid.CreateVersion7(T0), At = T0, Kind = IncidentEventKind.Note, Message = "Instance a stopped.", Instance = "a" };
            new IncidentSpool(spoolPath, TimeProvider.System).Write("a", [new SpooledBatch("a", new OutboxBatch([new EventOp(gone, note)], [], []))]);
            var log = new FakeLogger<IncidentTracker>();
            await using var s = new Scenario(store, options: new IncidentOptions { SpoolFile = spoolPath }, logger: log);

            // Act
            await s.Tracker.StartAsync(CancellationToken.None);
            s.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
            await s.FlushAsync();

            // Assert
            Directory.GetFiles(folder.FullName).ShouldBe([spoolPath + ".refused-20260215T080000Z"]);
            var line = log.Collector.GetSnapshot().Where(r => r.Message.StartsWith("The database refused the incident spool", StringComparison.Ordinal)).ShouldHaveSingleItem();
            line.Level.ShouldBe(LogLevel.Error);
            line.Exception.ShouldBeOfType<PostgresException>().SqlState.ShouldBe(PostgresErrorCodes.ForeignKeyViolation);
            (await store.ListAsync(10, CancellationToken.None)).ShouldHaveSingleItem().DetectedBy.ShouldBe("ResponseTimeSpike");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_SpoolDeliveredAgainAfterACrashBeforeItsDeletion_StoresNothingTwice()
    {
        // Arrange: x has incident X open; a, cut off from the database, detects the same trouble and stops with it spooled.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        var folder = Directory.CreateTempSubdirectory("widgetify-spool-");
        try
        {
            var spoolPath = Path.Combine(folder.FullName, "incidents.spool.json");
            var options = new IncidentOptions { SpoolFile = spoolPath };
            await using var x = new Scenario(store, instance: "x");
            await x.Tracker.StartAsync(CancellationToken.None);
            x.Second(Second(10, latency: 2), Fire("ResponseTimeSpike", 10));
            await x.FlushAsync();
            var xId = x.Tracker.Current!.Id;
            await using (var unreachable = NpgsqlDataSource.Create(UnreachableDatabase()))
            {
                await using var a = new Scenario(new IncidentStore(unreachable), options: options, instance: "a");
                await a.Tracker.StartAsync(CancellationToken.None);
                a.Seconds(11, 14, i => Second(i, latency: 2));
                a.Second(Second(15, latency: 2), Fire("ResponseTimeSpike", 15));
                a.Seconds(16, 20, i => Second(i, latency: 2));
            }

            var copy = await File.ReadAllBytesAsync(spoolPath);

            // b delivers the spool (a joins X), then stops; x recovers and resolves X.
            await using (var b = new Scenario(store, options: options, instance: "b", time: new FakeTimeProvider(T0.AddSeconds(21))))
            {
                await b.Tracker.StartAsync(CancellationToken.None);
            }

            x.Second(Second(21), Resolve("ResponseTimeSpike", 10, 21));
            x.Seconds(22, 55, i => Second(i));
            await x.FlushAsync();
            var stored = await CountAsync(database, xId);

            // Act: the crash between storing and deleting, replayed: the same spool again, at the next start.
            await File.WriteAllBytesAsync(spoolPath, copy);
            await using var c = new Scenario(store, options: options, instance: "c", time: new FakeTimeProvider(T0.AddSeconds(60)));
            await c.Tracker.StartAsync(CancellationToken.None);

            // Assert
            File.Exists(spoolPath).ShouldBeFalse();
            c.Tracker.Current.ShouldBeNull("X is resolved, and a's incident is X: nothing to re-attach to");
            var incidents = await store.ListAsync(10, CancellationToken.None);
            incidents.ShouldHaveSingleItem().Id.ShouldBe(xId, "a's open finds the incident it joined, resolved since, and opens no second one");
            incidents[0].Status.ShouldBe(IncidentStatus.Resolved);
            (await CountAsync(database, xId)).ShouldBe(stored);
            stored.Events.ShouldBeGreaterThan(0);
            stored.Samples.ShouldBe(10, "a's seconds 11 to 20 (its baseline and impact), once");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task FlushAsync_DatabaseDown_KeepsWhatWaitsInTheSpoolSoThatAKilledProcessLosesNothing()
    {
        // Arrange: a, cut off from the database, opens an incident and its flush fails; then a is killed. A kill runs no
        // disposal, so what survives is the spool as the failed flush left it: copied before the test's own clean-up
        // stops a gracefully (which writes the spool again), and put back after.
        await using var database = await cluster.NewDatabaseAsync();
        var store = IncidentsCluster.Store(database);
        var folder = Directory.CreateTempSubdirectory("widgetify-spool-");
        try
        {
            var spoolPath = Path.Combine(folder.FullName, "incidents.spool.json");
            var options = new IncidentOptions { SpoolFile = spoolPath };
            bool flushed;
            byte[] atTheKill;
            await using (var unreachable = NpgsqlDataSource.Create(UnreachableDatabase()))
            {
                await using var a = new Scenario(new IncidentStore(unreachable), options: options, instance: "a");
                await a.Tracker.StartAsync(CancellationToken.None);
                a.Seconds(11, 14, i => Second(i, latency: 2));
                a.Second(Second(15, latency: 2), Fire("ResponseTimeSpike", 15));
                a.Seconds(16, 20, i => Second(i, latency: 2));
                flushed = await a.Tracker.FlushAsync(CancellationToken.None);
                atTheKill = File.Exists(spoolPath) ? await File.ReadAllBytesAsync(spoolPath) : [];
            }

            File.Delete(spoolPath);
            if (atTheKill.Length > 0)
            {
                await File.WriteAllBytesAsync(spoolPath, atTheKill);
            }

            // Act: the next process starts with the database back.
            await using var b = new Scenario(store, options: options, instance: "b", time: new FakeTimeProvider(T0.AddSeconds(30)));
            await b.Tracker.StartAsync(CancellationToken.None);

            // Assert
            flushed.ShouldBeFalse("the database is away");
            atTheKill.ShouldNotBeEmpty("the failed flush kept what waits on disk, without waiting for a stop");
            File.Exists(spoolPath).ShouldBeFalse("delivered, then deleted");
            var incident = (await store.ListAsync(10, CancellationToken.None)).ShouldHaveSingleItem();
            incident.DetectedBy.ShouldBe("ResponseTimeSpike");
            incident.Instances.ShouldContain("a");
            (await CountAsync(database, incident.Id)).Samples.ShouldBe(10, "a's seconds 11 to 20, none lost to the kill");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task FlushAsync_DatabaseBackAfterAFailedFlush_WritesTheTimelineAndDeletesTheSpoolCopy()
    {
        // Arrange: a server of its own, stopped while the incident opens.
        await using var postgres = await TestPostgres.StartAsync(20);
        await using (var owner = postgres.CreateOwnerDataSource())
        {
            await new IncidentStore(owner).EnsureSchemaAsync(CancellationToken.None); // as the service's start does
        }

        var spoolPath = Path.Combine(postgres.Root, "widgetify-data", "incidents.spool.json");
        await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
        var store = new IncidentStore(dataSource);
        await using var s = new Scenario(store, options: new IncidentOptions { SpoolFile = spoolPath }, instance: "a");
        await s.Tracker.StartAsync(CancellationToken.None);
        await postgres.StopAsync();
        s.Second(Second(15, databaseUp: false, requests: 0), Fire("DatabaseDown", 15, "no answer from PostgreSQL for 5 s"));
        var failed = !await s.Tracker.FlushAsync(CancellationToken.None);
        var copied = File.Exists(spoolPath);

        // Act
        await postgres.StartAgainAsync();
        var flushed = await s.Tracker.FlushAsync(CancellationToken.None);

        // Assert
        failed.ShouldBeTrue("the database is down");
        copied.ShouldBeTrue("what waits is on disk while the database is down");
        flushed.ShouldBeTrue();
        File.Exists(spoolPath).ShouldBeFalse("the database has it now; a copy left behind would be delivered again for nothing");
        (await store.ListAsync(10, CancellationToken.None)).ShouldHaveSingleItem().DetectedBy.ShouldBe("DatabaseDown");
    }

    private static async Task<(long Events, long Samples, long Instances, string Alerts)> CountAsync(ScratchDatabase database, Guid id) => (
        await database.ScalarAsync<long>($"SELECT count(*) FROM widgetify_incident_events WHERE incident_id = '{id}' AND instance = 'a'"),
        await database.ScalarAsync<long>($"SELECT count(*) FROM widgetify_incident_samples WHERE incident_id = '{id}' AND instance = 'a'"),
        await database.ScalarAsync<long>($"SELECT count(*) FROM widgetify_incident_instances WHERE incident_id = '{id}'"),
        await database.ScalarAsync<string>($"SELECT array_to_string(alerts, ',') FROM widgetify_incidents WHERE id = '{id}'"));

    /// <summary>A connection string to a port nothing listens on: a database that is away, without stopping a server.</summary>
    private static string UnreachableDatabase()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"Host=127.0.0.1;Port={port};Username=widgetify;Password=x;Timeout=2";
    }
}
