using Widgetify.Postgres;

namespace Widgetify.Testing;

/// <summary>A real PostgreSQL cluster in a temporary folder, made with the same code as './widgetify up'.</summary>
public sealed class TestPostgres : IAsyncDisposable
{
    private readonly int _maxConnections;

    private TestPostgres(PostgresCluster cluster, string root, int maxConnections)
    {
        Cluster = cluster;
        Root = root;
        _maxConnections = maxConnections;
    }

    public PostgresCluster Cluster { get; private set; }

    public string Root { get; }

    public string ConnectionString => Cluster.AppConnectionString;

    public static async Task<TestPostgres> StartAsync(int maxConnections = 100)
    {
        var root = Path.Combine(Path.GetTempPath(), "widgetify-test-" + Guid.NewGuid().ToString("N")[..12]);
        var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions
        {
            DataDirectory = root,
            Durable = false,
            MaxConnections = maxConnections,
        });
        return new TestPostgres(cluster, root, maxConnections);
    }

    /// <summary>Starts the stopped server again on the same port and data, as after an outage: clients configured with
    /// the old connection string reach it again.</summary>
    public async Task RestartAsync()
    {
        await Cluster.StopAsync();
        Cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions
        {
            DataDirectory = Root,
            Durable = false,
            Port = Cluster.Port,
            MaxConnections = _maxConnections,
        });
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
