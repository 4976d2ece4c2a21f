using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Core.Deadlines;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Data;

/// <summary>The connection pools, behind the <see cref="PoolGovernor"/>: every connection of the request path is
/// taken through <see cref="OpenPrimaryAsync"/>/<see cref="OpenReadsAsync"/>, which wait while this instance
/// already holds its share of the fleet-wide budget. Read replicas will give <see cref="OpenReadsAsync"/> a pool of
/// its own without touching the callers. Inside a request, the wait for a connection ends at the request's deadline
/// (<see cref="RequestDeadline"/>), which admission control set.</summary>
internal sealed class WidgetifyDataSources : IAsyncDisposable
{
    private readonly Lazy<NpgsqlDataSource> _primary;

    private readonly IHttpContextAccessor? _requests;

    /// <param name="options">The settings.</param>
    /// <param name="governor">The budget every connection is counted against.</param>
    /// <param name="loggerFactory">Npgsql's loggers.</param>
    /// <param name="requests">Finds the current request's deadline, from which a connection wait derives; null (the
    /// one-off CLI commands) for no deadline.</param>
    public WidgetifyDataSources(
        IOptions<WidgetifyOptions> options, PoolGovernor governor, ILoggerFactory loggerFactory, IHttpContextAccessor? requests = null)
    {
        Governor = governor;
        _requests = requests;
        var connectionString = BuildConnectionString(options.Value.Database);
        // Built on first use, which comes after the governor's first lease renewal (MigrateDatabaseAsync): only then
        // is the budget known that bounds the physical pool.
        _primary = new Lazy<NpgsqlDataSource>(() =>
        {
            var csb = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = governor.Current.AppliedMaxPoolSize };
            // The name tags Npgsql's metrics (db.client.connection.pool.name); without one it would be the connection string.
            var builder = new NpgsqlDataSourceBuilder(csb.ConnectionString) { Name = PrimaryPoolName };
            builder.UseLoggerFactory(loggerFactory);
            return builder.Build();
        });
    }

    /// <summary>The request pool's name in Npgsql's metrics.</summary>
    public const string PrimaryPoolName = "widgetify-primary";

    /// <summary>The budget every connection of this instance is counted against.</summary>
    private PoolGovernor Governor { get; }

    /// <summary>The primary's pool. Open connections through <see cref="OpenPrimaryAsync"/>, never directly.</summary>
    public NpgsqlDataSource Primary => _primary.Value;

    /// <summary>One connection of this instance's own, outside the request pool: migrations and lease upkeep.</summary>
    public NpgsqlDataSource Control => Governor.ControlDataSource;

    /// <summary>A connection to the primary for reads and writes that must see their own writes.</summary>
    public ValueTask<NpgsqlConnection> OpenPrimaryAsync(CancellationToken cancellationToken) =>
        Governor.OpenConnectionAsync(Primary, RequestDeadline.Of(_requests?.HttpContext), cancellationToken);

    /// <summary>A connection for reads that tolerate replication lag (the public embed path).</summary>
    public ValueTask<NpgsqlConnection> OpenReadsAsync(CancellationToken cancellationToken) =>
        Governor.OpenConnectionAsync(Primary, RequestDeadline.Of(_requests?.HttpContext), cancellationToken);

    /// <summary>The governor of the pools these options describe: the service and the one-off CLI commands build it
    /// the same way.</summary>
    internal static PoolGovernor CreateGovernor(
        WidgetifyOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory, PoolGovernanceMetrics? metrics = null)
    {
        var connectionString = BuildConnectionString(options.Database);
        return new PoolGovernor(
            connectionString, ConfiguredMaxPoolSize(connectionString), options.Database.ApplicationName, options.ConnectionBudget,
            timeProvider, loggerFactory, metrics);
    }

    /// <summary>The configured connection string with Widgetify's timeouts and application name.</summary>
    private static string BuildConnectionString(DatabaseOptions database)
    {
        if (string.IsNullOrWhiteSpace(database.ConnectionString))
        {
            throw new InvalidOperationException(
                "No database configured: set 'Widgetify:Database:ConnectionString' (environment variable " +
                "Widgetify__Database__ConnectionString), or run './widgetify up' to use the embedded PostgreSQL.");
        }

        var csb = new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Timeout = database.ConnectTimeoutSeconds,
            CommandTimeout = database.CommandTimeoutSeconds,
        };
        if (string.IsNullOrEmpty(csb.ApplicationName))
        {
            csb.ApplicationName = database.ApplicationName;
        }

        if (database.MaxPoolSize is { } max)
        {
            csb.MaxPoolSize = max;
        }

        return csb.ConnectionString;
    }

    /// <summary>The <c>Max Pool Size</c> the operator asked for (setting or connection string; Npgsql's default 100).</summary>
    private static int ConfiguredMaxPoolSize(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).MaxPoolSize;

    public async ValueTask DisposeAsync()
    {
        if (_primary.IsValueCreated)
        {
            await _primary.Value.DisposeAsync();
        }
    }
}
