using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Api.Consistency;
using Widgetify.Core.Deadlines;
using Widgetify.Overload.PoolGovernance;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Data;

/// <summary>The connection pools, behind the <see cref="PoolGovernor"/>: every connection of the request path is
/// taken through <see cref="OpenPrimaryAsync"/> (writes, and reads that must be on the primary) or <see cref="ReadAsync"/>
/// (reads, which the <see cref="ReadRouter"/> sends to a standby when one is ready), and waits while this instance
/// already holds its share of that server's budget. Inside a request, the wait for a connection ends at the request's
/// deadline (<see cref="RequestDeadline"/>), which admission control set, and a read honours the request's consistency
/// token (<see cref="ConsistencyFeature"/>).</summary>
internal sealed class WidgetifyDataSources : IAsyncDisposable
{
    private readonly Lazy<NpgsqlDataSource> _primary;

    private readonly IHttpContextAccessor? _requests;

    private readonly DatabaseOptions _database;

    /// <param name="options">The settings.</param>
    /// <param name="governor">The budget every connection is counted against.</param>
    /// <param name="loggerFactory">Npgsql's loggers.</param>
    /// <param name="requests">Finds the current request's deadline, from which a connection wait derives; null (the
    /// one-off CLI commands) for no deadline.</param>
    /// <param name="timeProvider">Measures standby lag and paces the router's waits; the system clock when null.</param>
    /// <param name="routingMetrics">Observes the read router; none when null.</param>
    public WidgetifyDataSources(
        IOptions<WidgetifyOptions> options, PoolGovernor governor, ILoggerFactory loggerFactory, IHttpContextAccessor? requests = null,
        TimeProvider? timeProvider = null, RoutingMetrics? routingMetrics = null)
    {
        Governor = governor;
        _requests = requests;
        _database = options.Value.Database;
        Router = new ReadRouter(
            options.Value.Database.Replicas,
            (deadline, cancellationToken) => Governor.OpenConnectionAsync(Primary, deadline, cancellationToken),
            options.Value.Database.ApplicationName,
            timeProvider ?? TimeProvider.System,
            loggerFactory,
            routingMetrics);
        var connectionString = BuildConnectionString(options.Value.Database);
        // Built on first use, which comes after the governor's first lease renewal (MigrateDatabaseAsync): only then
        // is the budget known that bounds the physical pool.
        _primary = new Lazy<NpgsqlDataSource>(() =>
        {
            // As large as the budget lets one instance be, not just the size applied now: the gate bounds what is used,
            // and a size raised at run time (the pool review's --apply) must not find Npgsql's pool smaller. Npgsql opens
            // connections on demand, so a larger bound costs nothing. With the budget disabled, the size applied. The
            // budget less the control connection and the key listener, which are outside this pool.
            var budget = governor.Current;
            var csb = new NpgsqlConnectionStringBuilder(connectionString)
            {
                MaxPoolSize = budget.Budget is { } b
                    ? Math.Max(budget.AppliedMaxPoolSize, b - PoolGovernor.OwnConnectionsPerInstance)
                    : budget.AppliedMaxPoolSize,
            };
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

    /// <summary>Where reads go: the standbys when one is ready, else the primary.</summary>
    public ReadRouter Router { get; }

    /// <summary>Runs a read where the router sends it, seeing the request's own earlier write when the client sent its
    /// consistency token; retried once elsewhere when its standby failed, so it must not write.</summary>
    public Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var context = _requests?.HttpContext;
        var (token, deadline) = (ConsistencyFeature.Of(context)?.Requested, RequestDeadline.Of(context));
        // The request stops waiting at its deadline even when PostgreSQL does not answer Npgsql's cancel (DetachedCancellation).
        return DetachedCancellation.RunAsync(ct => Router.ReadAsync(read, token, deadline, ct), cancellationToken);
    }

    /// <summary>Records, for the response's <c>Widgetify-Consistency</c> header, where the primary's WAL stands after a
    /// write committed on <paramref name="connection"/>. The insert position, read in the same session after COMMIT:
    /// with synchronous_commit off the flushed position (<c>pg_current_wal_lsn()</c>) may still trail the commit record.
    /// Outside a request (background work, the CLI) there is nobody to hand a token to, and nothing is read.</summary>
    public async Task NoteWriteAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (ConsistencyFeature.Of(_requests?.HttpContext) is not { } feature)
        {
            return;
        }

        feature.RecordWrite(new ConsistencyToken(await PrimaryWalPosition.ReadAsync(connection, cancellationToken)));
    }

    /// <summary>The governor of the pools these options describe: the service and the one-off CLI commands build it
    /// the same way.</summary>
    internal static PoolGovernor CreateGovernor(
        WidgetifyOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory, PoolGovernanceMetrics? metrics = null)
    {
        var connectionString = BuildConnectionString(options.Database);
        return new PoolGovernor(
            connectionString, ConfiguredMaxPoolSize(options.Database), options.Database.ApplicationName, options.ConnectionBudget,
            timeProvider, loggerFactory, metrics);
    }

    /// <summary>A standby's connection string with the same timeouts as the primary's.</summary>
    public string StandbyConnectionString(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = _database.ConnectTimeoutSeconds,
            CommandTimeout = _database.CommandTimeoutSeconds,
        }.ConnectionString;

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

    /// <summary>The <c>Max Pool Size</c> the operator asked for: <c>Database:MaxPoolSize</c>, else the connection string's;
    /// null when neither sets one, and the pool follows the connection budget.</summary>
    internal static int? ConfiguredMaxPoolSize(DatabaseOptions database) =>
        database.MaxPoolSize ?? GivenMaxPoolSize(database.ConnectionString);

    /// <summary>The <c>Max Pool Size</c> written in <paramref name="connectionString"/>; null when it is not (Npgsql's
    /// builder would report its default of 100 either way, so the keywords are looked for by name).</summary>
    internal static int? GivenMaxPoolSize(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return given.Keys.Cast<string>().Any(key => key.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant() is "MAXPOOLSIZE" or "MAXIMUMPOOLSIZE")
            ? new NpgsqlConnectionStringBuilder(connectionString).MaxPoolSize
            : null;
    }

    public async ValueTask DisposeAsync()
    {
        await Router.DisposeAsync();
        if (_primary.IsValueCreated)
        {
            await _primary.Value.DisposeAsync();
        }
    }
}
