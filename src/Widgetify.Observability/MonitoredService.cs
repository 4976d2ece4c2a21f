using Npgsql;

namespace Widgetify.Observability;

/// <summary>What monitoring needs to know of the service it watches, beyond its settings: where to ask PostgreSQL about
/// itself and which pool is the request pool.</summary>
public sealed class MonitoredService
{
    /// <summary>The connection the database sampler asks <c>pg_stat_activity</c> and the server's limits through: not
    /// the request pool, so the sample still answers when that pool is exhausted.</summary>
    public required NpgsqlDataSource ControlConnection { get; init; }

    /// <summary>The Npgsql data source name of the request pool (<c>db.client.connection.pool.name</c>); the control
    /// connection's pool is left out of the pool signals.</summary>
    public required string RequestPoolName { get; init; }

    /// <summary>The <c>application_name</c> prefix of the service's sessions on the server.</summary>
    public required string ApplicationName { get; init; }
}
