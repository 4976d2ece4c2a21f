using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Observability.Database;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Observability.Tests.Database;

public sealed class DatabaseSamplerTests : IAsyncLifetime
{
    private const int MaxConnections = 30;
    private TestPostgres? _postgres;

    private TestPostgres Postgres => _postgres ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _postgres = await TestPostgres.StartAsync(MaxConnections);

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    private NpgsqlDataSource Source(string applicationName) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Postgres.ConnectionString) { ApplicationName = applicationName, MaxPoolSize = 1 });

    private static DatabaseSampler Sampler(NpgsqlDataSource source, TimeProvider? time = null, TimeSpan? staleAfter = null) =>
        new(source, time ?? TimeProvider.System, staleAfter ?? TimeSpan.FromSeconds(5), NullLogger<DatabaseSampler>.Instance);

    [Fact]
    public async Task SampleAsync_RunningServer_ReportsLimitAndConnectionsByApplicationAndState()
    {
        await using var control = Source("widgetify-control");
        await using var other = Source("someone-else");
        await using var idle = await other.OpenConnectionAsync();

        var sample = await Sampler(control).SampleAsync(CancellationToken.None);

        sample.Up.ShouldBeTrue(sample.Error);
        sample.MaxConnections.ShouldBe(MaxConnections);
        sample.Backends.ShouldContain(b => b.ApplicationName == "someone-else" && b.State == "idle" && b.Count == 1);
        sample.Backends.ShouldContain(b => b.ApplicationName == "widgetify-control" && b.State == "active");
        sample.ConnectionsOf("widgetify").ShouldBe(1);
        sample.TotalConnections.ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task SampleAsync_OpenTransactionElsewhere_ReportsItsAge()
    {
        await using var control = Source("widgetify-control");
        await using var other = Source("long-transaction");
        await using var connection = await other.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("SELECT pg_sleep(0.2)", connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        var sample = await Sampler(control).SampleAsync(CancellationToken.None);

        sample.LongestTransactionSeconds.ShouldNotBeNull();
        sample.LongestTransactionSeconds.Value.ShouldBeGreaterThanOrEqualTo(0.2);
    }

    [Fact]
    public async Task SampleAsync_NoOtherTransaction_LongestTransactionIsNull()
    {
        await using var control = Source("widgetify-control");

        var sample = await Sampler(control).SampleAsync(CancellationToken.None);

        // The sampler's own transaction is left out.
        sample.LongestTransactionSeconds.ShouldBeNull();
    }

    [Fact]
    public async Task SampleAsync_AfterADeadlockAndARollback_CountersGrow()
    {
        await using var control = Source("widgetify-control");
        var sampler = Sampler(control);
        // The table as a migration makes it: the service's runtime role may not create one.
        await using (var owner = NpgsqlDataSource.Create(Postgres.MigrationConnectionString))
        await using (var setup = await owner.OpenConnectionAsync())
        await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS deadlock_probe (id int PRIMARY KEY); INSERT INTO deadlock_probe VALUES (1), (2) ON CONFLICT DO NOTHING", setup))
        {
            await create.ExecuteNonQueryAsync();
        }

        var before = await sampler.SampleAsync(CancellationToken.None);

        await CauseDeadlockAsync();

        // The backend that detected the deadlock reports it to the statistics within about a second of going idle.
        DatabaseSample? after = null;
        await BoundedWait.UntilAsync(
            async () => (after = await sampler.SampleAsync(CancellationToken.None)).Deadlocks > before.Deadlocks,
            () => $"deadlocks {after?.Deadlocks} (before {before.Deadlocks})",
            "PostgreSQL counts the deadlock in pg_stat_database");
        after!.Rollbacks.ShouldBeGreaterThan(before.Rollbacks);
    }

    private async Task CauseDeadlockAsync()
    {
        await using var a = Source("deadlock-a");
        await using var b = Source("deadlock-b");
        await using var ca = await a.OpenConnectionAsync();
        await using var cb = await b.OpenConnectionAsync();
        await using var ta = await ca.BeginTransactionAsync();
        await using var tb = await cb.BeginTransactionAsync();
        await new NpgsqlCommand("UPDATE deadlock_probe SET id = id WHERE id = 1", ca, ta).ExecuteNonQueryAsync();
        await new NpgsqlCommand("UPDATE deadlock_probe SET id = id WHERE id = 2", cb, tb).ExecuteNonQueryAsync();
        var first = new NpgsqlCommand("UPDATE deadlock_probe SET id = id WHERE id = 2", ca, ta).ExecuteNonQueryAsync();
        var second = new NpgsqlCommand("UPDATE deadlock_probe SET id = id WHERE id = 1", cb, tb).ExecuteNonQueryAsync();
        var failed = 0;
        foreach (var update in new[] { first, second })
        {
            try
            {
                await update;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected)
            {
                failed++;
            }
        }

        failed.ShouldBe(1, "exactly one side of a deadlock is aborted");
        await ta.RollbackAsync();
        await tb.RollbackAsync();
    }

    [Fact]
    public async Task SampleAsync_SlotWithoutItsStandby_ReportsTheWalItRetainsUntilDropped()
    {
        // Arrange: a slot that reserves WAL at once, as a standby's does from the moment pg_basebackup creates it, but
        // no standby ever connects (one that died); then the primary writes.
        await using var control = Source("widgetify-control");
        var sampler = Sampler(control);
        await using var admin = new NpgsqlConnection(Postgres.Cluster.AdminConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, "SELECT pg_create_physical_replication_slot('widgetify_standby_gone', true)");
        var before = (await sampler.SampleAsync(CancellationToken.None)).ReplicationSlots.ShouldHaveSingleItem();
        // The test server runs with synchronous_commit off, and pg_current_wal_lsn() is the position written so far:
        // this commit waits for its WAL to be written, so the next sample sees it.
        await ExecuteAsync(admin, "SET synchronous_commit = on");
        await ExecuteAsync(admin, "CREATE TABLE wal_probe AS SELECT g AS id, repeat('x', 100) AS filler FROM generate_series(1, 20000) g");

        // Act
        var sample = await sampler.SampleAsync(CancellationToken.None);
        await ExecuteAsync(admin, "SELECT pg_drop_replication_slot('widgetify_standby_gone')");
        var dropped = await sampler.SampleAsync(CancellationToken.None);

        // Assert: about 2 MB of table written, all of it kept for the slot
        sample.Up.ShouldBeTrue(sample.Error);
        var slot = sample.ReplicationSlots.ShouldHaveSingleItem();
        (slot.Name, slot.Active, slot.WalStatus).ShouldBe(("widgetify_standby_gone", false, "reserved"));
        slot.RetainedBytes.ShouldBeGreaterThan(before.RetainedBytes + 1_000_000);
        sample.MaxSlotWalKeepSize.ShouldBe(1L << 30, "the embedded server's max_slot_wal_keep_size is 1GB");
        slot.SafeWalSize.ShouldNotBeNull().ShouldBeGreaterThan(0);
        slot.SafeWalSize.Value.ShouldBeLessThan(before.SafeWalSize!.Value, "what it keeps comes out of what may still be written");
        dropped.ReplicationSlots.ShouldBeEmpty();
    }

    [Fact]
    public async Task SampleAsync_ArchiveCommandFails_ReportsTheArchiverFailing()
    {
        // Arrange: an archive command that always fails, as a full or unmounted archive disk does.
        await using var broken = await TestPostgres.StartAsync(settings: new Dictionary<string, string> { ["archive_command"] = "false" });
        await using var control = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(broken.ConnectionString) { MaxPoolSize = 1 });
        await using var admin = new NpgsqlConnection(broken.Cluster.AdminConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, "CREATE TABLE filler AS SELECT 1 AS x; SELECT pg_switch_wal()");
        var sampler = Sampler(control);

        // Act
        Widgetify.Observability.Database.WalArchiverSample? archiver = null;
        await BoundedWait.UntilAsync(
            async () => (archiver = (await sampler.SampleAsync(CancellationToken.None)).Archiver) is { Failing: true },
            () => $"{archiver}",
            "the archiver reports its failures",
            TimeSpan.FromSeconds(30));

        // Assert
        archiver!.FailedCount.ShouldBeGreaterThan(0);
        archiver.LastFailedWal.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task SampleAsync_ArchivingWorks_ReportsArchivedSegmentsAndNotFailing()
    {
        await using var control = Source("widgetify-control");
        await using var admin = new NpgsqlConnection(Postgres.Cluster.AdminConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, "CREATE TABLE filler_ok AS SELECT 1 AS x; SELECT pg_switch_wal()");
        var sampler = Sampler(control);

        Widgetify.Observability.Database.WalArchiverSample? archiver = null;
        await BoundedWait.UntilAsync(
            async () => (archiver = (await sampler.SampleAsync(CancellationToken.None)).Archiver) is { ArchivedCount: > 0 },
            () => $"{archiver}",
            "the archiver reports an archived segment",
            TimeSpan.FromSeconds(30));

        archiver!.Failing.ShouldBeFalse();
        archiver.FailedCount.ShouldBe(0);
    }

    [Fact]
    public async Task SampleAsync_UnlimitedWalKeepSize_ReportsNoBoundAndNoSafeSize()
    {
        // Arrange: PostgreSQL's default, -1: nothing stops a slot from keeping WAL until the disk is full.
        await using var unbounded = await TestPostgres.StartAsync(settings: new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "-1" });
        await using var control = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(unbounded.ConnectionString) { MaxPoolSize = 1 });
        await using var admin = new NpgsqlConnection(unbounded.Cluster.AdminConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, "SELECT pg_create_physical_replication_slot('widgetify_unbounded', true)");

        // Act
        var sample = await Sampler(control).SampleAsync(CancellationToken.None);

        // Assert
        sample.MaxSlotWalKeepSize.ShouldBeNull();
        var slot = sample.ReplicationSlots.ShouldHaveSingleItem();
        slot.SafeWalSize.ShouldBeNull();
        slot.WalStatus.ShouldBe("reserved");
    }

    [Fact]
    public async Task SampleAsync_SlotNeverReservedWal_RetainsNothing()
    {
        // Arrange: a slot created without reserving WAL has no restart_lsn until a standby connects.
        await using var control = Source("widgetify-control");
        await using var admin = new NpgsqlConnection(Postgres.Cluster.AdminConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, "SELECT pg_create_physical_replication_slot('widgetify_unused')");

        // Act
        var sample = await Sampler(control).SampleAsync(CancellationToken.None);

        // Assert
        var slot = sample.ReplicationSlots.ShouldHaveSingleItem();
        (slot.Name, slot.RetainedBytes, slot.WalStatus).ShouldBe(("widgetify_unused", 0L, null));
    }

    [Fact]
    public async Task SampleAsync_PrimaryWithAStreamingStandby_ReportsItsSlotActive()
    {
        // Arrange
        await using var standby = await PostgresStandby.StartAsync(Postgres.Cluster, "standby-1");
        await standby.WaitUntilStreamingAsync(TimeSpan.FromSeconds(60));
        await using var control = Source("widgetify-control");

        // Act
        var sample = await Sampler(control).SampleAsync(CancellationToken.None);

        // Assert
        var slot = sample.ReplicationSlots.ShouldHaveSingleItem();
        (slot.Name, slot.Active, slot.WalStatus).ShouldBe((standby.SlotName, true, "reserved"));
    }

    [Fact]
    public async Task SampleAsync_ServerInRecovery_IsUpWithoutSlots()
    {
        // Arrange: the control connection reaches a standby (as after a failover), which has a slot of its own
        // (cascading replication); pg_current_wal_lsn() would fail there and take the whole sample with it.
        await using var standby = await PostgresStandby.StartAsync(Postgres.Cluster, "standby-1");
        await standby.WaitUntilStreamingAsync(TimeSpan.FromSeconds(60));
        await using (var admin = new NpgsqlConnection(standby.AdminConnectionString))
        {
            await admin.OpenAsync();
            await ExecuteAsync(admin, "SELECT pg_create_physical_replication_slot('widgetify_cascade', true)");
        }

        await using var control = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(standby.AppConnectionString) { MaxPoolSize = 1 });

        // Act
        var sample = await Sampler(control).SampleAsync(CancellationToken.None);

        // Assert
        sample.Up.ShouldBeTrue(sample.Error);
        sample.ReplicationSlots.ShouldBeEmpty();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task SampleAsync_ServerFullOfConnections_ReportsUpAndFullNotDown()
    {
        await using var control = Source("widgetify-control");
        var sampler = Sampler(control);
        (await sampler.SampleAsync(CancellationToken.None)).Up.ShouldBeTrue();
        control.Clear(); // the next sample must open a connection, as after a restart of the pool
        var held = new List<NpgsqlConnection>();
        await using var hog = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Postgres.ConnectionString)
        {
            ApplicationName = "hog", MaxPoolSize = MaxConnections, Pooling = false,
        });
        try
        {
            // Fill every slot a non-superuser may take, as Feb 15's pool did.
            while (true)
            {
                try
                {
                    held.Add(await hog.OpenConnectionAsync());
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.TooManyConnections)
                {
                    break;
                }
            }

            // Act
            var sample = await sampler.SampleAsync(CancellationToken.None);

            // Assert
            sample.Up.ShouldBeTrue("a full server answered: it is up");
            sample.Full.ShouldBeTrue();
            sample.MaxConnections.ShouldBe(MaxConnections);
            sample.Error.ShouldNotBeNull().ShouldContain("connection");
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SampleAsync_ControlConnectionBusyBeyondTheBound_ReportsDownThenUpAgain()
    {
        // Arrange: the control pool's only connection is taken (a long flush, a lease renewal).
        await using var control = Source("widgetify-control");
        var sampler = Sampler(control, staleAfter: TimeSpan.FromMilliseconds(500));
        var held = await control.OpenConnectionAsync();

        // Act
        var whileHeld = await sampler.SampleAsync(CancellationToken.None);
        await held.DisposeAsync();
        var after = await sampler.SampleAsync(CancellationToken.None);

        // Assert: the timeout is a sample that says "down", not an exception that ends the sampling loop.
        whileHeld.Up.ShouldBeFalse();
        after.Up.ShouldBeTrue(after.Error);
    }

    [Fact]
    public async Task Current_LastSampleOlderThanTheBound_IsDown()
    {
        await using var control = Source("widgetify-control");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sampler = Sampler(control, time, TimeSpan.FromSeconds(3));
        sampler.Current.ShouldBeNull("nothing is known before the first sample");
        await sampler.SampleAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(3));
        var current = sampler.Current;
        time.Advance(TimeSpan.FromSeconds(1));
        var stale = sampler.Current;

        current.ShouldNotBeNull().Up.ShouldBeTrue();
        stale.ShouldNotBeNull().Up.ShouldBeFalse();
        stale.Error.ShouldNotBeNull().ShouldContain("No answer");
    }

    [Fact]
    public async Task SampleAsync_NothingListening_ReportsDownWithTheReason()
    {
        // A port that was free a moment ago: nothing listens there.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var source = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={port};Username=x;Password=x;Timeout=2");

        var sample = await Sampler(source).SampleAsync(CancellationToken.None);

        sample.Up.ShouldBeFalse();
        sample.Error.ShouldNotBeNullOrWhiteSpace();
        sample.Backends.ShouldBeEmpty();
    }
}
