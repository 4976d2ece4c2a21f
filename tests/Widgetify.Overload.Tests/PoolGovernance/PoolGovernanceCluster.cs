using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

/// <summary>One PostgreSQL cluster with max_connections 20 (so budgets are small) for the pool-governance tests.
/// Tests truncate the lease table first, so leases never leak from one test into the next.</summary>
public sealed class PoolGovernanceCluster : IAsyncLifetime
{
    public const int MaxConnections = 20;

    private TestPostgres? postgres;

    public TestPostgres Postgres => postgres ?? throw new InvalidOperationException("Fixture not started.");

    public string AppConnectionString => Postgres.ConnectionString;

    /// <summary>Superuser on the app's database: advisory locks are per database, and the lease table lives there.</summary>
    public string AdminOnAppDatabase =>
        new NpgsqlConnectionStringBuilder(Postgres.Cluster.AdminConnectionString) { Database = "widgetify", Pooling = false }.ConnectionString;

    public async Task InitializeAsync()
    {
        postgres = await TestPostgres.StartAsync(MaxConnections);
        await ResetLeasesAsync();
    }

    public async Task DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }

    public static ConnectionBudgetOptions Options(int reservedForOtherClients, int heartbeatMs = 2000, int leaseMs = 10_000) => new()
    {
        ReservedForOtherClients = reservedForOtherClients,
        HeartbeatInterval = TimeSpan.FromMilliseconds(heartbeatMs),
        LeaseDuration = TimeSpan.FromMilliseconds(leaseMs),
    };

    /// <summary>A governor on <paramref name="time"/>, whose leases are stamped and expired by that clock too
    /// (<see cref="LeaseClock"/>): give every governor of a test the same one, as production's all share the database's.</summary>
    public PoolGovernor Governor(
        string name, int? configuredMaxPoolSize, ConnectionBudgetOptions options, TimeProvider time,
        ILoggerFactory? loggerFactory = null, PoolGovernanceMetrics? metrics = null) =>
        new(AppConnectionString, configuredMaxPoolSize, name, options, time, LeaseClock.Of(time), loggerFactory ?? NullLoggerFactory.Instance, metrics);

    /// <summary>An app pool whose connections carry <paramref name="applicationName"/>, to count them in pg_stat_activity.</summary>
    public NpgsqlDataSource AppPool(string applicationName, int maxPoolSize) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(AppConnectionString)
        {
            ApplicationName = applicationName,
            MaxPoolSize = maxPoolSize,
        });

    /// <summary>Creates the lease table the way the service's start does (as the schema's owner; the governors' runtime
    /// role may only read and write its rows) and empties it.</summary>
    public async Task ResetLeasesAsync()
    {
        await using (var owner = Postgres.CreateOwnerDataSource())
        {
            await PoolGovernor.CreateLeaseTableAsync(owner, CancellationToken.None);
        }

        await using var connection = new NpgsqlConnection(AdminOnAppDatabase);
        await connection.OpenAsync();
        await using var truncate = new NpgsqlCommand("TRUNCATE widgetify_pool_leases", connection);
        await truncate.ExecuteNonQueryAsync();
    }

    /// <summary>Sum of granted + 2 (each instance's control connection and notification listener) over the recorded
    /// leases: what the fleet may use by the table's account.</summary>
    public Task<long> LeaseCostAsync() => AdminScalarAsync<long>("SELECT COALESCE(sum(granted + 2), 0) FROM widgetify_pool_leases");

    public Task<long> LeaseCountAsync() => AdminScalarAsync<long>("SELECT count(*) FROM widgetify_pool_leases");

    public Task<long> BackendCountAsync(string applicationName) =>
        AdminScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", applicationName);

    public async Task<T> AdminScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(AdminOnAppDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}

[CollectionDefinition(Name)]
public sealed class PoolGovernanceDatabase : ICollectionFixture<PoolGovernanceCluster>
{
    public const string Name = "pool-governance";
}
