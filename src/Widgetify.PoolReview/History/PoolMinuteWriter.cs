using Npgsql;

namespace Widgetify.PoolReview.History;

/// <summary>Writes completed minutes and deletes expired ones, on the instance's control connection. Each call is one
/// short statement: the control connection also renews the connection budget's lease, which must not wait long.</summary>
internal sealed class PoolMinuteWriter(NpgsqlDataSource controlConnection)
{
    private const int CommandTimeoutSeconds = 5;

    // One statement for the whole batch; a minute already there (a retry after a lost commit) is left as first written.
    private const string InsertSql = $"""
        INSERT INTO {PoolHistorySchema.Table} (
            instance, server, minute, seconds_measured, peak_in_use, peak_waiting, share, opens,
            acquire_wait_p50_seconds, acquire_wait_p99_seconds, hold_time_p50_seconds, hold_time_p99_seconds, timeouts, requests)
        SELECT * FROM unnest(
            $1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::int[], $6::int[], $7::int[], $8::bigint[],
            $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::bigint[], $14::bigint[])
        ON CONFLICT (instance, server, minute) DO NOTHING
        """;

    private const string TrimSql = $"DELETE FROM {PoolHistorySchema.Table} WHERE minute < $1";

    private readonly PoolHistorySchema schema = new(controlConnection);

    /// <summary>Writes <paramref name="minutes"/> in one statement.</summary>
    /// <returns>The minutes written; those already in the table are not counted.</returns>
    public async Task<int> InsertAsync(IReadOnlyList<PoolMinute> minutes, CancellationToken cancellationToken)
    {
        await schema.EnsureCreatedAsync(cancellationToken);
        await using var command = controlConnection.CreateCommand(InsertSql);
        command.CommandTimeout = CommandTimeoutSeconds;
        Add(command, minutes, m => m.Instance);
        Add(command, minutes, m => m.Server);
        Add(command, minutes, m => m.Minute.ToUniversalTime());
        Add(command, minutes, m => m.SecondsMeasured);
        Add(command, minutes, m => m.PeakInUse);
        Add(command, minutes, m => m.PeakWaiting);
        Add(command, minutes, m => m.Share);
        Add(command, minutes, m => m.Opens);
        Add(command, minutes, m => m.AcquireWaitP50Seconds);
        Add(command, minutes, m => m.AcquireWaitP99Seconds);
        Add(command, minutes, m => m.HoldTimeP50Seconds);
        Add(command, minutes, m => m.HoldTimeP99Seconds);
        Add(command, minutes, m => m.Timeouts);
        Add(command, minutes, m => m.Requests);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes every instance's minutes that started before <paramref name="cutoff"/>.</summary>
    /// <returns>The minutes deleted.</returns>
    public async Task<int> TrimAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await schema.EnsureCreatedAsync(cancellationToken);
        await using var command = controlConnection.CreateCommand(TrimSql);
        command.CommandTimeout = CommandTimeoutSeconds;
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = cutoff.ToUniversalTime() });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Add<T>(NpgsqlCommand command, IReadOnlyList<PoolMinute> minutes, Func<PoolMinute, T> column) =>
        command.Parameters.Add(new NpgsqlParameter<T[]> { TypedValue = [.. minutes.Select(column)] });
}
