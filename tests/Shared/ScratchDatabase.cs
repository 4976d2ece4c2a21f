using Npgsql;

namespace Widgetify.Testing;

/// <summary>An extra, empty database in a test cluster, owned by the app role; dropped on dispose.</summary>
public sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;

    private ScratchDatabase(string adminConnectionString, string name, string connectionString)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }

    /// <summary>As the app role (<c>widgetify</c>), for code that opens its own connections.</summary>
    public string ConnectionString { get; }

    /// <summary>Connects as the app role (<c>widgetify</c>), like the service does.</summary>
    public NpgsqlDataSource DataSource { get; }

    public static async Task<ScratchDatabase> CreateAsync(TestPostgres postgres)
    {
        var name = "scratch_" + Guid.NewGuid().ToString("N")[..12];
        await AdminExecuteAsync(postgres.Cluster.AdminConnectionString, $"CREATE DATABASE {name} OWNER widgetify");
        var connectionString = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = name }.ConnectionString;
        return new ScratchDatabase(postgres.Cluster.AdminConnectionString, name, connectionString);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Drops the database now, ending the sessions still connected to it (as losing a database would).</summary>
    public Task DropAsync() => AdminExecuteAsync(_adminConnectionString, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await DropAsync();
    }

    private static async Task AdminExecuteAsync(string adminConnectionString, string sql)
    {
        // Unpooled: no idle superuser session is left behind in a cluster whose connections tests count.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
