using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Widgetify.Api.Notifications;
using Widgetify.Api.Data;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Tests.Data;

/// <summary>PostgreSQL's own count of a fleet's connections: two running instances on one server, each with its key
/// listener connected and its request pool driven to its share. Every instance also holds a control connection and a
/// LISTEN session outside its pool; the budget must count both, or the fleet opens more than the governors report
/// (before it counted the listener, two instances here held 12 connections of a budget of 11).</summary>
public sealed class FleetConnectionBudgetTests : IAsyncLifetime
{
    // max_connections 20 - superuser_reserved_connections 3 - 6 kept for other clients = a budget of 11.
    private const int MaxConnections = 20;
    private const int Budget = MaxConnections - 3 - 6;

    // What each instance holds outside its pool (the control connection and the listener), and so what a newcomer needs
    // free to start: SharePlanner.OwnConnectionsPerInstance and SeatsKeptForNewcomers.
    private const int OwnConnections = 2;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly List<NpgsqlConnection> _held = [];
    private TestPostgres? _postgres;
    private WidgetifyServer? _first;
    private WidgetifyServer? _second;

    public async Task InitializeAsync()
    {
        _postgres = await TestPostgres.StartAsync(MaxConnections);
        _first = await WidgetifyServer.StartAsync(_postgres, Settings("fleet-a"));
        _second = await WidgetifyServer.StartAsync(_postgres, Settings("fleet-b"));
    }

    public async Task DisposeAsync()
    {
        foreach (var connection in _held)
        {
            await connection.DisposeAsync();
        }

        foreach (var server in new[] { _second, _first })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    [Fact]
    public async Task TwoInstancesAtTheirShares_PoolsControlConnectionsAndListenersFitTheBudgetWithANewcomersSeatsFree()
    {
        // Arrange: both listening; each renews once more so that both see the other's lease and hold their fair share:
        // (11 - 2 x 2 own connections - 2 seats for a newcomer's) = 5, split 3 and 2.
        var instances = new[] { _first!, _second! };
        foreach (var server in instances)
        {
            var listener = server.Services.GetRequiredService<NotificationListener>();
            await BoundedWait.UntilAsync(() => listener.IsListening, () => "not listening", "the key listener holds its connection", Bound);
        }

        foreach (var server in instances.Concat(instances))
        {
            await server.Services.GetRequiredService<PoolGovernor>().RenewAsync(CancellationToken.None);
        }

        // Act: every connection of both shares opened and kept, then PostgreSQL asked what the fleet holds.
        var shares = 0;
        foreach (var server in instances)
        {
            var share = server.Services.GetRequiredService<PoolGovernor>().Current.Share;
            var sources = server.Services.GetRequiredService<WidgetifyDataSources>();
            for (var i = 0; i < share; i++)
            {
                _held.Add(await sources.OpenPrimaryAsync(CancellationToken.None));
            }

            shares += share;
        }

        var held = await FleetConnectionsAsync("fleet-a", "fleet-b");

        // Assert
        var budgets = instances.Select(s => s.Services.GetRequiredService<PoolGovernor>().Current.Budget).ToArray();
        budgets.ShouldAllBe(b => b == Budget);
        held.ShouldBe(shares + (2 * OwnConnections), "each instance's pool at its share, its control connection and its listener");
        (held + OwnConnections).ShouldBeLessThanOrEqualTo(Budget, "a newcomer's control connection and listener must still fit");
        shares.ShouldBe(5);
    }

    private static Dictionary<string, string?> Settings(string name) => new()
    {
        ["Widgetify:Database:ApplicationName"] = name,
        ["Widgetify:ConnectionBudget:ReservedForOtherClients"] = "6",
    };

    /// <summary>The instances' request pools (application_name = the name), control connections (<c>-control</c>) and
    /// notification listeners (<c>-listener</c>), as PostgreSQL counts them.</summary>
    private async Task<long> FleetConnectionsAsync(params string[] names)
    {
        await using var connection = new NpgsqlConnection(_postgres!.Cluster.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name = ANY($1)", connection);
        command.Parameters.Add(new() { Value = names.SelectMany(n => new[] { n, n + "-control", n + NotificationListener.ApplicationNameSuffix }).ToArray() });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
