using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Postgres;

namespace Widgetify.Cli;

/// <summary>The database a verb works on: the server named by --database-url, or the embedded cluster in
/// --data-dir (started for the verb, or shared with a running './widgetify up').</summary>
internal sealed class DatabaseTarget : IAsyncDisposable
{
    private readonly PostgresCluster? _cluster;

    private DatabaseTarget(string connectionString, PostgresCluster? cluster)
    {
        ConnectionString = connectionString;
        _cluster = cluster;
    }

    public string ConnectionString { get; }

    /// <summary>The embedded cluster, when there is one.</summary>
    public PostgresCluster? Cluster => _cluster;

    public static async Task<DatabaseTarget> OpenAsync(
        string? databaseUrl, string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(databaseUrl))
        {
            return new DatabaseTarget(ConnectionStrings.Normalize(databaseUrl), null);
        }

        var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = dataDirectory }, logger, cancellationToken);
        return new DatabaseTarget(cluster.AppConnectionString, cluster);
    }

    /// <summary>A connection string safe to print: the password is masked.</summary>
    public string Describe()
    {
        var csb = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"{csb.Host}:{csb.Port}/{csb.Database} as {csb.Username}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
