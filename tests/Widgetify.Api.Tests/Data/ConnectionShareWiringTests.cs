using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Tests.Data;

/// <summary>The wiring between the lease, admission and the pool, on a PostgreSQL of its own (leases are fleet-wide:
/// another test's instances would take part of the budget).</summary>
public sealed class ConnectionShareWiringTests : IAsyncLifetime
{
    private TestPostgres? _postgres;

    private TestPostgres Postgres => _postgres!;

    public async Task InitializeAsync()
    {
        _postgres = await TestPostgres.StartAsync();
        // As the service's start does: the runtime role these instances log in with may not create the table.
        await using var owner = NpgsqlDataSource.Create(_postgres.MigrationConnectionString);
        await PoolGovernor.CreateLeaseTableAsync(owner, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    [Fact]
    public async Task StartAsync_LeaseTaken_AdmissionCeilingIsTheShare()
    {
        // Arrange
        await using var instance = Instance("wiring-a");

        // Act: two callers start it; one lease is taken
        var first = instance.Wiring.StartAsync(CancellationToken.None);
        var second = instance.Wiring.StartAsync(CancellationToken.None);
        await Task.WhenAll(first, second);

        // Assert
        second.ShouldBeSameAs(first);
        instance.Governor.Current.Share.ShouldBeGreaterThan(0);
        instance.Admission.GetStatistics().Ceiling.ShouldBe(instance.Governor.Current.Share);
        await instance.Wiring.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ShareShrinks_PeerJoins_AdmissionCeilingFollowsAndIdleConnectionsAreClosed()
    {
        // Arrange: one instance alone, with one idle pooled connection
        await using var a = Instance("wiring-a");
        await a.Wiring.StartAsync(CancellationToken.None);
        var alone = a.Governor.Current.Share;
        await (await a.DataSources.OpenPrimaryAsync(CancellationToken.None)).DisposeAsync();
        (await IdleConnectionsOfAsync("wiring-a")).ShouldBe(1);

        // Act: a peer takes its lease, and the first instance renews
        await using var b = Instance("wiring-b");
        await b.Wiring.StartAsync(CancellationToken.None);
        await a.Governor.RenewAsync(CancellationToken.None);

        // Assert: the share shrank, the ceiling followed it exactly, the idle connection went back to the fleet
        a.Governor.Current.Share.ShouldBeLessThan(alone);
        a.Admission.GetStatistics().Ceiling.ShouldBe(a.Governor.Current.Share);
        (await IdleConnectionsOfAsync("wiring-a")).ShouldBe(0);
        await b.Wiring.StopAsync(CancellationToken.None);
        await a.Wiring.StopAsync(CancellationToken.None);
    }

    private WiredInstance Instance(string name)
    {
        var options = new WidgetifyOptions { Database = { ConnectionString = Postgres.ConnectionString, ApplicationName = name } };
        var governor = WidgetifyDataSources.CreateGovernor(options, TimeProvider.System, NullLoggerFactory.Instance);
        var dataSources = new WidgetifyDataSources(Options.Create(options), governor, NullLoggerFactory.Instance);
        var admission = new AdmissionController(new AdmissionOptions(), TimeProvider.System, new Random(1));
        var wiring = new ConnectionShareWiring(governor, admission, dataSources, TimeProvider.System, NullLogger<ConnectionShareWiring>.Instance);
        return new WiredInstance(governor, dataSources, admission, wiring);
    }

    private async Task<long> IdleConnectionsOfAsync(string applicationName)
    {
        await using var connection = new NpgsqlConnection(Postgres.Cluster.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'", connection);
        command.Parameters.Add(new() { Value = applicationName });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private sealed record WiredInstance(
        PoolGovernor Governor, WidgetifyDataSources DataSources, AdmissionController Admission, ConnectionShareWiring Wiring) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Wiring.DisposeAsync();
            await DataSources.DisposeAsync();
            Admission.Dispose();
            await Governor.DisposeAsync();
        }
    }
}
