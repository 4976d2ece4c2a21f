using Npgsql;
using Widgetify.Cli.Cluster.Autoscaling;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests.Cluster.Autoscaling;

/// <summary>One real PostgreSQL for the hand-over's tables; each test has a database of its own.</summary>
public sealed class HandOverDatabase() : SharedPostgres(maxConnections: 30);

/// <summary>The leader's side of the hand-over against the real tables, with the test standing in for 'cluster up': the
/// ask is written, the answer becomes the attempt's result, and the wait is bounded.</summary>
public sealed class FleetReplicaProviderTests(HandOverDatabase postgres) : IClassFixture<HandOverDatabase>, IAsyncLifetime
{
    private static readonly TimeSpan ActionTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private ScratchDatabase? _database;
    private int _routerRounds;

    private ScratchDatabase Database => _database!;

    private StandbyRegistry Registry => new(Database.DataSource);

    public async Task InitializeAsync()
    {
        _database = await postgres.NewDatabaseAsync();
        // Made by the server's superuser; the database's owner (the test's own role) may take it to act as the instances.
        await using (var admin = NpgsqlDataSource.Create(postgres.Postgres.Cluster.AdminConnectionString))
        {
            var owner = new NpgsqlConnectionStringBuilder(Database.ConnectionString).Username;
            await using var create = admin.CreateCommand($"CREATE ROLE {RuntimeRole}; GRANT {RuntimeRole} TO \"{owner}\"");
            await create.ExecuteNonQueryAsync();
        }

        await StandbyRegistry.EnsureCreatedAsync(Database.ConnectionString, RuntimeRole, CancellationToken.None);
    }

    // The instances' role, as 'cluster up' makes it: rows only. Roles are the server's, so one per scratch database.
    private string RuntimeRole => $"{Database.Name}_runtime";

    /// <summary>Runs <paramref name="sql"/> on a connection of its own that has taken the runtime role.</summary>
    private async Task AsRuntimeAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SET ROLE {RuntimeRole}; {sql}", connection);
        await command.ExecuteNonQueryAsync();
    }

    [Theory]
    [InlineData("UPDATE widgetify_fleet_standbys SET port = 1")]
    [InlineData("INSERT INTO widgetify_fleet_standbys (name, host, port, state) VALUES ('elsewhere', '10.0.0.1', 5432, 'serving')")]
    [InlineData("DELETE FROM widgetify_fleet_standbys")]
    [InlineData("UPDATE widgetify_fleet_scaling SET handled_id = request_id, succeeded = true, message = 'forged'")]
    [InlineData("DELETE FROM widgetify_fleet_scaling")]
    [InlineData("UPDATE widgetify_fleet_standby_drains SET instance = 'api-2'")]
    [InlineData("DELETE FROM widgetify_fleet_standby_drains")]
    [InlineData("UPDATE widgetify_fleet_signals SET instance = 'api-2'")]
    [InlineData("DELETE FROM widgetify_fleet_signals")]
    [InlineData("TRUNCATE widgetify_fleet_standby_drains")]
    public async Task EnsureCreated_RuntimeRole_WritesWhatOnlyTheCoordinatorWrites_Refused(string sql)
    {
        // Arrange: the privileges 'cluster up' gives its runtime role on every table the owner makes, then a restart.
        await Database.ExecuteAsync($"GRANT ALL ON ALL TABLES IN SCHEMA public TO {RuntimeRole}");
        await StandbyRegistry.EnsureCreatedAsync(Database.ConnectionString, RuntimeRole, CancellationToken.None);
        await SeedEveryTableAsync();

        // Act
        var refused = await Should.ThrowAsync<PostgresException>(() => AsRuntimeAsync(sql));

        // Assert
        refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, refused.MessageText);
    }

    [Fact]
    public async Task EnsureCreated_RuntimeRole_DoesWhatAnInstanceDoes()
    {
        // Arrange
        await Database.ExecuteAsync($"GRANT ALL ON ALL TABLES IN SCHEMA public TO {RuntimeRole}");
        await StandbyRegistry.EnsureCreatedAsync(Database.ConnectionString, RuntimeRole, CancellationToken.None);
        await Registry.AddAsync("standby-1", "127.0.0.1", 5433, CancellationToken.None);
        await Registry.MarkLeavingAsync("standby-1", DateTimeOffset.UnixEpoch, CancellationToken.None);
        var id = await Database.ScalarAsync<long>($"SELECT id FROM {StandbyRegistry.StandbysTable} WHERE name = 'standby-1'");

        // Act and assert, as the runtime role: read the registry, ask twice (insert, then the upsert's update), acknowledge
        // a drain, publish and rewrite its signals.
        await AsRuntimeAsync($"SELECT count(*) FROM {StandbyRegistry.StandbysTable}");
        await AsRuntimeAsync(RequestSql);
        await AsRuntimeAsync(RequestSql);
        await AsRuntimeAsync($"INSERT INTO {StandbyRegistry.DrainsTable} (standby_id, instance, reads_left) SELECT id, 'api-1', 0 FROM {StandbyRegistry.StandbysTable} WHERE id = {id} ON CONFLICT DO NOTHING");
        await AsRuntimeAsync(SignalsSql);
        await AsRuntimeAsync(SignalsSql);
        (await Database.ScalarAsync<long>($"SELECT request_id FROM {StandbyRegistry.ScalingTable}")).ShouldBe(2L);
        (await Registry.ReadStandbysAsync(CancellationToken.None)).Single().DrainedBy.ShouldBe(["api-1"]);
    }

    [Fact]
    public async Task EnsureCreated_AcknowledgementOfAServingStandby_Refused()
    {
        await StandbyRegistry.EnsureCreatedAsync(Database.ConnectionString, RuntimeRole, CancellationToken.None);
        await Registry.AddAsync("standby-1", "127.0.0.1", 5433, CancellationToken.None);
        var id = await Database.ScalarAsync<long>($"SELECT id FROM {StandbyRegistry.StandbysTable} WHERE name = 'standby-1'");

        // Written in advance, it would let the coordinator stop standby-1 the moment it leaves, before this instance drained it.
        var refused = await Should.ThrowAsync<PostgresException>(() => AsRuntimeAsync(
            $"INSERT INTO {StandbyRegistry.DrainsTable} (standby_id, instance, reads_left) VALUES ({id}, 'api-2', 0)"));

        refused.SqlState.ShouldBe(PostgresErrorCodes.CheckViolation);
    }

    [Fact]
    public async Task EnsureCreated_AcknowledgementOfAServingStandbyBehindATemporaryRegistry_Refused()
    {
        await StandbyRegistry.EnsureCreatedAsync(Database.ConnectionString, RuntimeRole, CancellationToken.None);
        await Registry.AddAsync("standby-1", "127.0.0.1", 5433, CancellationToken.None);
        var id = await Database.ScalarAsync<long>($"SELECT id FROM {StandbyRegistry.StandbysTable} WHERE name = 'standby-1'");

        // pg_temp comes first in a default search_path: a temporary table of the registry's name that says 'leaving' must
        // not be what the trigger reads.
        var refused = await Should.ThrowAsync<PostgresException>(() => AsRuntimeAsync(
            $"CREATE TEMP TABLE {StandbyRegistry.StandbysTable} (id bigint, state text); " +
            $"INSERT INTO pg_temp.{StandbyRegistry.StandbysTable} VALUES ({id}, 'leaving'); " +
            $"INSERT INTO public.{StandbyRegistry.DrainsTable} (standby_id, instance, reads_left) VALUES ({id}, 'api-2', 0)"));

        refused.SqlState.ShouldBe(PostgresErrorCodes.CheckViolation);
    }

    // The statements the instances run (StandbyRegistry.RequestAsync, FleetSignalSource), with literals for parameters.
    private const string RequestSql = $"""
        INSERT INTO {StandbyRegistry.ScalingTable} (desired, request_id, requested_by, requested_at) VALUES (1, 1, 'api-1', clock_timestamp())
        ON CONFLICT (singleton) DO UPDATE SET desired = EXCLUDED.desired, request_id = {StandbyRegistry.ScalingTable}.request_id + 1,
            requested_by = EXCLUDED.requested_by, requested_at = EXCLUDED.requested_at
        RETURNING request_id
        """;

    private const string SignalsSql = $"""
        INSERT INTO {StandbyRegistry.SignalsTable} (instance, updated_at, seconds) VALUES ('api-1', clock_timestamp(), '[]')
        ON CONFLICT (instance) DO UPDATE SET updated_at = EXCLUDED.updated_at, seconds = EXCLUDED.seconds
        """;

    /// <summary>A row in each table, so that a refused UPDATE or DELETE is refused for its privilege, not a no-op.</summary>
    private async Task SeedEveryTableAsync()
    {
        await Registry.AddAsync("standby-1", "127.0.0.1", 5433, CancellationToken.None);
        await Registry.MarkLeavingAsync("standby-1", DateTimeOffset.UnixEpoch, CancellationToken.None);
        var id = await Database.ScalarAsync<long>($"SELECT id FROM {StandbyRegistry.StandbysTable} WHERE name = 'standby-1'");
        await Registry.AckDrainedAsync(id, "api-1", 0, CancellationToken.None);
        await Registry.RequestAsync(1, "api-1", CancellationToken.None);
        await Database.ExecuteAsync(SignalsSql);
    }

    public async Task DisposeAsync() => await Database.DisposeAsync();

    [Fact]
    public async Task ApplyAsync_CoordinatorAddsAndAnswers_SucceedsWithPasswordFreeEndpointsAfterFollowingTheRegistry()
    {
        var provider = Provider(TimeProvider.System);

        var applying = provider.ApplyAsync(Action(ScalingDirection.Out, 1), CancellationToken.None);
        var asked = await PendingAskAsync();
        asked.Desired.ShouldBe(1);
        asked.RequestedBy.ShouldBe("api-1");
        await Registry.AddAsync("standby-1", "127.0.0.1", 54321, CancellationToken.None);
        await Registry.CompleteAsync(asked.RequestId, true, "added standby-1 on 127.0.0.1:54321; 1 standby(s) serving", CancellationToken.None);
        var result = await applying.WaitAsync(Bound);

        result.Succeeded.ShouldBeTrue(result.Message);
        result.Message.ShouldContain("added standby-1");
        var endpoint = result.Endpoints.ShouldNotBeNull().ShouldHaveSingleItem();
        endpoint.Name.ShouldBe("standby-1");
        endpoint.ConnectionString.ShouldContain("Port=54321");
        endpoint.ConnectionString.ShouldNotContain("Password", Case.Insensitive);
        _routerRounds.ShouldBe(1, "the leader's router follows the registry before the action ends");
        result.Replicas.ShouldBeNull("the router sees each standby, so a standby that dies later is still noticed");
    }

    [Fact]
    public async Task ApplyAsync_CoordinatorRefuses_FailsWithItsReason()
    {
        var provider = Provider(TimeProvider.System);

        var applying = provider.ApplyAsync(Action(ScalingDirection.Out, 3), CancellationToken.None);
        var asked = await PendingAskAsync();
        await Registry.CompleteAsync(asked.RequestId, false, "asked for 3 standbys, outside this fleet's bounds (0 to 2)", CancellationToken.None);
        var result = await applying.WaitAsync(Bound);

        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("outside this fleet's bounds");
        _routerRounds.ShouldBe(0);
    }

    [Fact]
    public async Task ApplyAsync_NoAnswerWithinTheTimeout_FailsNamingTheSetting()
    {
        var clock = new TimerCountingFakeTimeProvider(DateTimeOffset.UnixEpoch);
        var provider = Provider(clock);

        var applying = provider.ApplyAsync(Action(ScalingDirection.Out, 1), CancellationToken.None);
        await PendingAskAsync();
        // Each poll waits on the fake clock: whenever it waits, move the clock one poll on, until the provider gives up. Not
        // a fixed number of moves: the count of armed timers can still include the poll that just fired, so a move can come
        // before the next poll waits and be spent on nothing but the clock (the provider still sees the time pass).
        await BoundedWait.UntilAsync(
            () =>
            {
                if (!applying.IsCompleted && clock.ArmedTimers > 0)
                {
                    clock.Advance(FleetReplicaProvider.PollInterval);
                }

                return applying.IsCompleted;
            },
            () => $"the clock moved to {clock.GetUtcNow():O}", "the provider gave up", 3 * Bound);

        var result = await applying.WaitAsync(Bound);
        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("ScalingActionTimeout");
    }

    [Fact]
    public async Task ApplyAsync_LaterAskBeforeTheAnswer_FailsAsSuperseded()
    {
        var provider = Provider(TimeProvider.System);

        var applying = provider.ApplyAsync(Action(ScalingDirection.Out, 1), CancellationToken.None);
        await PendingAskAsync();
        await Registry.RequestAsync(0, "api-2", CancellationToken.None);
        var result = await applying.WaitAsync(Bound);

        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("superseded");
    }

    [Fact]
    public async Task ApplyAsync_ReplaceWhileEveryRegisteredStandbyServes_FailsWithoutAsking()
    {
        await Registry.AddAsync("standby-1", "127.0.0.1", 54321, CancellationToken.None);
        var provider = Provider(TimeProvider.System);

        var result = await provider.ApplyAsync(Action(ScalingDirection.Replace, 1), CancellationToken.None);

        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("Nothing to replace");
        (await Registry.ReadRequestAsync(CancellationToken.None)).ShouldBeNull("nothing was asked of the coordinator");
    }

    [Fact]
    public async Task AckDrainedAsync_OfAnIncarnationThatIsGone_RecordsNothingForItsSuccessor()
    {
        await Registry.AddAsync("standby-1", "127.0.0.1", 54321, CancellationToken.None);
        var first = (await Registry.ReadStandbysAsync(CancellationToken.None)).Single();
        await Registry.MarkLeavingAsync("standby-1", DateTimeOffset.UnixEpoch, CancellationToken.None);
        await Registry.RemoveAsync("standby-1", CancellationToken.None);
        await Registry.AddAsync("standby-1", "127.0.0.1", 54322, CancellationToken.None);

        await Registry.AckDrainedAsync(first.Id, "api-1", 0, CancellationToken.None);

        var second = (await Registry.ReadStandbysAsync(CancellationToken.None)).Single();
        second.Id.ShouldNotBe(first.Id);
        second.DrainedBy.ShouldBeEmpty("a late acknowledgement of the old standby-1 must not let the new one be stopped");
    }

    private FleetReplicaProvider Provider(TimeProvider clock) => new(
        Registry, _ => { _routerRounds++; return Task.CompletedTask; }, "api-1", ActionTimeout, clock);

    private async Task<ScalingRequest> PendingAskAsync()
    {
        ScalingRequest? asked = null;
        await BoundedWait.UntilAsync(
            async () => (asked = await Registry.ReadRequestAsync(CancellationToken.None)) is { Pending: true },
            () => $"ask: {asked}", "the provider wrote its ask", Bound);
        return asked!;
    }

    private static ScalingAction Action(ScalingDirection direction, int desired) => new()
    {
        Direction = direction,
        CurrentReplicas = desired - 1,
        DesiredReplicas = desired,
        MinReplicas = 0,
        MaxReplicas = 2,
        Reason = "test",
        At = DateTimeOffset.UnixEpoch,
    };
}
