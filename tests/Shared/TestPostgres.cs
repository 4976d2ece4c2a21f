using Widgetify.Postgres;

namespace Widgetify.Testing;

/// <summary>A real PostgreSQL cluster in a temporary folder, made with the same code as './widgetify up' (a copy of
/// <see cref="ClusterTemplate"/>'s, started as an existing cluster: its own server, port and settings).</summary>
public sealed class TestPostgres : IAsyncDisposable
{
    private readonly int _maxConnections;
    private readonly IReadOnlyDictionary<string, string> _settings;

    private TestPostgres(PostgresCluster cluster, string root, int maxConnections, IReadOnlyDictionary<string, string> settings)
    {
        Cluster = cluster;
        Root = root;
        _maxConnections = maxConnections;
        _settings = settings;
    }

    public PostgresCluster Cluster { get; private set; }

    public string Root { get; }

    /// <summary>The runtime role <c>widgetify</c>: rows only, no DDL.</summary>
    public string ConnectionString => Cluster.AppConnectionString;

    /// <summary>The superuser over the Unix socket acting as the schema owner <c>widgetify_owner</c>, for migrations.</summary>
    public string MigrationConnectionString => Cluster.MigrationConnectionString;

    /// <summary>A pool on <see cref="MigrationConnectionString"/>: what creates the tables a feature's test then uses as
    /// the runtime role, as the service's start does.</summary>
    public Npgsql.NpgsqlDataSource CreateOwnerDataSource() => Npgsql.NpgsqlDataSource.Create(MigrationConnectionString);

    /// <param name="maxConnections">The server's max_connections.</param>
    /// <param name="settings">Server settings that replace the embedded server's defaults (e.g. max_slot_wal_keep_size).</param>
    public static async Task<TestPostgres> StartAsync(int maxConnections = 100, IReadOnlyDictionary<string, string>? settings = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "widgetify-test-" + Guid.NewGuid().ToString("N")[..12]);
        settings ??= new Dictionary<string, string>();
        await ClusterTemplate.CopyIntoAsync(root);
        var cluster = await PostgresCluster.StartAsync(Options(root, port: null, maxConnections, settings));
        return new TestPostgres(cluster, root, maxConnections, settings);
    }

    /// <summary>Starts the stopped server again on the same port and data, as after an outage: clients configured with
    /// the old connection string reach it again.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    /// <summary>Stops the server (a fast shutdown): the database is away until <see cref="StartAgainAsync"/>.</summary>
    public Task StopAsync() => Cluster.StopAsync();

    /// <summary>Starts the server stopped by <see cref="StopAsync"/> again, on the same port and data.</summary>
    public async Task StartAgainAsync() =>
        Cluster = await PostgresCluster.StartAsync(Options(Root, Cluster.Port, _maxConnections, _settings));

    private static PostgresClusterOptions Options(string root, int? port, int maxConnections, IReadOnlyDictionary<string, string> settings)
    {
        var options = new PostgresClusterOptions { DataDirectory = root, Durable = false, Port = port, MaxConnections = maxConnections };
        foreach (var (name, value) in settings)
        {
            options.Settings[name] = value;
        }

        return options;
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; never fail a test run over it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
