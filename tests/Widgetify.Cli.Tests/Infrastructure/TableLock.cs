using Npgsql;
using Widgetify.Postgres;

namespace Widgetify.Cli.Tests.Infrastructure;

/// <summary>Holds an exclusive lock on a table of a running embedded cluster, so that a request touching it
/// stays in flight until the test releases the lock.</summary>
public sealed class TableLock : IAsyncDisposable
{
    private readonly PostgresCluster _cluster;
    private readonly NpgsqlConnection _connection;
    private NpgsqlTransaction? _transaction;

    private TableLock(PostgresCluster cluster, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _cluster = cluster;
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<TableLock> HoldAsync(string dataDirectory, string table)
    {
        // Attaches to the server 'up' owns; disposing this handle never stops it.
        var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = dataDirectory });
        cluster.OwnsServer.ShouldBeFalse();
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.AdminConnectionString) { Database = "widgetify" }.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new TableLock(cluster, connection, transaction);
    }

    /// <summary>Completes once another session is blocked on a lock in the widgetify database.</summary>
    public async Task WaitUntilSomeoneWaitsAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'widgetify' AND wait_event_type = 'Lock'", _connection);
            if ((long)(await command.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("No session started waiting on the lock.");
            }

            await Task.Delay(50);
        }
    }

    public async Task ReleaseAsync()
    {
        if (_transaction is not null)
        {
            await _transaction.RollbackAsync();
            await _transaction.DisposeAsync();
            _transaction = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        await _connection.DisposeAsync();
        await _cluster.DisposeAsync();
    }
}
