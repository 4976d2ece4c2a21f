using Npgsql;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>An extra, empty database in a test cluster, owned by the app role; dropped on dispose.</summary>
public sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;

    private ScratchDatabase(string adminConnectionString, string name, NpgsqlDataSource dataSource)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        DataSource = dataSource;
    }

    public string Name { get; }

    /// <summary>Connects as the app role (<c>widgetify</c>), like the service does.</summary>
    public NpgsqlDataSource DataSource { get; }

    public static async Task<ScratchDatabase> CreateAsync(TestPostgres postgres)
    {
        var name = "scratch_" + Guid.NewGuid().ToString("N")[..12];
        await AdminExecuteAsync(postgres.Cluster.AdminConnectionString, $"CREATE DATABASE {name} OWNER widgetify");
        var connectionString = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = name }.ConnectionString;
        return new ScratchDatabase(postgres.Cluster.AdminConnectionString, name, NpgsqlDataSource.Create(connectionString));
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

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await AdminExecuteAsync(_adminConnectionString, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }

    private static async Task AdminExecuteAsync(string adminConnectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
