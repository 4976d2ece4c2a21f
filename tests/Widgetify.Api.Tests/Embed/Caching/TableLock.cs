using Npgsql;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Embed.Caching;

/// <summary>Holds <c>LOCK TABLE ... IN ACCESS EXCLUSIVE MODE</c> in a transaction of a connection of its own until
/// disposed: every read of the table waits for it, so a test can have a cache read provably in flight, for as long as it
/// needs, without sleeping. The cache's snapshot reads <c>poll_option_votes</c> for every kind (its last statement).</summary>
internal sealed class TableLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private bool _released;

    private TableLock(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<TableLock> TakeAsync(string connectionString, string table = "poll_option_votes")
    {
        var connection = await UnpooledConnection.OpenAsync(connectionString, "widgetify-test-lock");
        try
        {
            var transaction = await connection.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", connection, transaction))
            {
                await command.ExecuteNonQueryAsync();
            }

            return new TableLock(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Lets the waiting reads through.</summary>
    public async Task ReleaseAsync()
    {
        if (!_released)
        {
            _released = true;
            await _transaction.RollbackAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
