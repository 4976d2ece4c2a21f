using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Cli.Cluster;
using Widgetify.Cli.Cluster.Autoscaling;
using Widgetify.Postgres.Standbys;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests.Cluster.Autoscaling;

/// <summary>The coordinator's reconciler on a real primary and real streaming standbys, its rounds run one by one on a fake
/// clock (the supervisor that restarts a killed server is not running here: the test plays it where it matters).</summary>
public sealed class StandbyReconcilerTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
    private readonly ClusterOptions _options = new();
    private readonly FakeLogger _log = new();
    private TestPostgres? _primary;
    private NpgsqlDataSource? _owner;

    private TestPostgres Primary => _primary!;

    private StandbyRegistry Registry => new(_owner!);

    public async Task InitializeAsync()
    {
        _primary = await TestPostgres.StartAsync();
        // As 'cluster up' does: the tables made by the schema's owner, the registry written on the owner's connection.
        var runtimeRole = new NpgsqlConnectionStringBuilder(Primary.ConnectionString).Username!;
        await StandbyRegistry.EnsureCreatedAsync(Primary.MigrationConnectionString, runtimeRole, CancellationToken.None);
        _owner = Primary.CreateOwnerDataSource();
    }

    public async Task DisposeAsync()
    {
        if (_owner is not null)
        {
            await _owner.DisposeAsync();
        }

        if (_primary is not null)
        {
            await _primary.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReconcileOnceAsync_StandbyKilled_KeptWhileBroughtBackWithinTheBound_ReplacedOnceDownPastIt()
    {
        // Arrange: 'cluster up --replicas 1': one standby, registered serving.
        await using var standbys = NewStandbys();
        var first = (await standbys.EnsureAsync(1)).Streaming.ShouldHaveSingleItem();
        var reconciler = Reconciler(standbys, minReplicas: 1);
        await Registry.ResetAsync(reconciler.Running(), CancellationToken.None);
        var registeredFirst = (await Registry.ReadStandbysAsync(CancellationToken.None)).ShouldHaveSingleItem();

        // Act 1: kill -9, and its supervisor brings it back on its port (EnsureAsync restarts it as the supervisor does)
        // before the bound: the registry keeps it, nothing is replaced.
        await KillAsync(first);
        await reconciler.ReconcileOnceAsync(CancellationToken.None);
        _clock.Advance(_options.StandbyReplaceAfter - TimeSpan.FromSeconds(1));
        await reconciler.ReconcileOnceAsync(CancellationToken.None);
        (await Registry.ReadStandbysAsync(CancellationToken.None)).ShouldHaveSingleItem().Id.ShouldBe(registeredFirst.Id, "down within the bound: kept");
        var back = (await standbys.EnsureAsync(1)).Streaming.ShouldHaveSingleItem();
        _clock.Advance(TimeSpan.FromMinutes(5));
        await reconciler.ReconcileOnceAsync(CancellationToken.None);
        var kept = (await Registry.ReadStandbysAsync(CancellationToken.None)).ShouldHaveSingleItem();
        kept.Id.ShouldBe(registeredFirst.Id, "running again: its down time ended");
        kept.Port.ShouldBe(back.Port, "EnsureAsync takes a free port (the supervisor keeps the old one): the registry follows");

        // Act 2: kill -9 again, and this time nothing brings it back.
        var killed = standbys.Standbys.Single();
        await KillAsync(killed);
        await reconciler.ReconcileOnceAsync(CancellationToken.None);
        _clock.Advance(_options.StandbyReplaceAfter - TimeSpan.FromSeconds(1));
        await reconciler.ReconcileOnceAsync(CancellationToken.None);
        (await Registry.ReadStandbysAsync(CancellationToken.None)).ShouldHaveSingleItem().Id.ShouldBe(registeredFirst.Id);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await reconciler.ReconcileOnceAsync(CancellationToken.None);

        // Assert: given up, out of the registry (the instances stop routing to it), its slot and folder gone.
        (await Registry.ReadStandbysAsync(CancellationToken.None)).ShouldBeEmpty("the instances' watchers drop a standby the registry no longer lists");
        Directory.Exists(killed.DataDirectory).ShouldBeFalse();
        (await Scalar(Primary.Cluster.AdminConnectionString, "SELECT count(*) FROM pg_replication_slots")).ShouldBe(0L, "a dead standby's slot would hold WAL on the primary");

        // Act 3: the next round makes the replacement, back to --replicas.
        await reconciler.ReconcileOnceAsync(CancellationToken.None);

        var replacement = (await Registry.ReadStandbysAsync(CancellationToken.None)).ShouldHaveSingleItem();
        replacement.Id.ShouldNotBe(registeredFirst.Id, "a new incarnation: an acknowledgement of the old one cannot count for it");
        replacement.Rotation.ShouldBe(StandbyRotation.Serving);
        var running = standbys.Standbys.ShouldHaveSingleItem();
        running.IsRunning.ShouldBeTrue();
        replacement.Port.ShouldBe(running.Port);
        await using var write = new NpgsqlConnection(Primary.MigrationConnectionString);
        await write.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE after_replacement (id int); INSERT INTO after_replacement VALUES (1)", write))
        {
            await create.ExecuteNonQueryAsync();
        }

        await BoundedWait.UntilAsync(
            async () => await Scalar(running.AppConnectionString, "SELECT count(*) FROM pg_class WHERE relname = 'after_replacement'") == 1L,
            () => "not replayed yet", "the replacement streams from the primary", Bound);
    }

    [Fact]
    public async Task ReconcileOnceAsync_ReplacementFails_RetriesAfterTheGrowingPauseAndStopsAtTheAttempts()
    {
        // Arrange: no standby can be made (no replication slot left on the primary: one is held by a slot of no standby).
        await Scalar(Primary.Cluster.AdminConnectionString, "SELECT count(*) FROM (SELECT pg_create_physical_replication_slot('held')) s");
        var slots = await Scalar(Primary.Cluster.AdminConnectionString, "SELECT setting::bigint FROM pg_settings WHERE name = 'max_replication_slots'");
        for (var i = 1; i < slots; i++)
        {
            await Scalar(Primary.Cluster.AdminConnectionString, $"SELECT count(*) FROM (SELECT pg_create_physical_replication_slot('held_{i}')) s");
        }

        _options.StandbyReplaceAttempts = 2;
        await using var standbys = NewStandbys();
        var reconciler = Reconciler(standbys, minReplicas: 1);

        // Act and assert: a first attempt at once, the second only after the pause, then no more.
        await reconciler.ReconcileOnceAsync(CancellationToken.None);
        var afterFirst = FolderCount(standbys);
        await reconciler.ReconcileOnceAsync(CancellationToken.None);
        (await Registry.ReadStandbysAsync(CancellationToken.None)).ShouldBeEmpty();
        _clock.Advance(Postgres.Supervision.ServerSupervisor.Backoff(1));
        await reconciler.ReconcileOnceAsync(CancellationToken.None);
        _clock.Advance(TimeSpan.FromHours(1));
        await reconciler.ReconcileOnceAsync(CancellationToken.None);

        (await Registry.ReadStandbysAsync(CancellationToken.None)).ShouldBeEmpty();
        standbys.Standbys.ShouldBeEmpty();
        afterFirst.ShouldBe(0, "a failed attempt leaves no folder behind");
        FolderCount(standbys).ShouldBe(0);
        var log = _log.Collector.GetSnapshot().Select(r => r.Message).ToList();
        log.Count(m => m.StartsWith("Replacing a standby", StringComparison.Ordinal)).ShouldBe(2, "one at once, one after the pause, then no more");
        log.ShouldContain(m => m.StartsWith("Gave up replacing a standby after 2 failed attempts", StringComparison.Ordinal), string.Join("\n", log));
    }

    private LocalStandbys NewStandbys() => new(Primary.Cluster, new StandbyOptions
    {
        BaseBackupTimeout = TimeSpan.FromMinutes(2),
        StartTimeout = TimeSpan.FromSeconds(60),
        StreamingTimeout = TimeSpan.FromSeconds(60),
    });

    private StandbyReconciler Reconciler(LocalStandbys standbys, int minReplicas) => new(
        Registry, standbys, () => new HashSet<string>(StringComparer.Ordinal), minReplicas, maxReplicas: null, _options, _clock, _log);

    private static int FolderCount(LocalStandbys standbys) =>
        Directory.Exists(standbys.StandbysDirectory) ? Directory.GetDirectories(standbys.StandbysDirectory).Length : 0;

    private static async Task KillAsync(PostgresStandby standby)
    {
        var pid = standby.PostmasterPid;
        using (var kill = Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await BoundedWait.UntilAsync(() => !standby.IsRunning, () => $"postmaster {pid} alive", "the standby's postmaster is gone", Bound);
    }

    private static async Task<long> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
