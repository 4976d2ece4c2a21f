using Npgsql;

namespace Widgetify.PoolReview.History;

/// <summary>Reads the per-minute history of what the pools really did (table <c>widgetify_pool_minutes</c>), for the
/// review and for operators. Every instance's minutes are there, whichever instance reads.</summary>
/// <param name="dataSource">A connection to the primary: the service's control connection, or the review's own.</param>
public sealed class PoolHistory(NpgsqlDataSource dataSource)
{
    /// <summary>The name the primary's minutes are recorded under; standbys keep their own names.</summary>
    public const string PrimaryServer = "primary";

    private const string SelectSql = $"""
        SELECT instance, server, minute, seconds_measured, peak_in_use, peak_waiting, share, opens,
               acquire_wait_p50_seconds, acquire_wait_p99_seconds, hold_time_p50_seconds, hold_time_p99_seconds, timeouts, requests
        FROM {PoolHistorySchema.Table}
        WHERE minute >= $1 AND minute < $2 AND ($3::text IS NULL OR server = $3)
        ORDER BY minute, server, instance
        """;

    private readonly PoolHistorySchema schema = new(dataSource);

    /// <summary>The minutes that started in [<paramref name="since"/>, <paramref name="until"/>), oldest first, with a
    /// summary per server. A database the recorder never wrote to reads as an empty range.</summary>
    /// <param name="since">The first minute to include.</param>
    /// <param name="until">The end of the range, excluded; after <paramref name="since"/>.</param>
    /// <param name="server">Only this server's minutes (<see cref="PrimaryServer"/> or a standby's name); null for all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<PoolHistoryRange> ReadAsync(
        DateTimeOffset since, DateTimeOffset until, string? server = null, CancellationToken cancellationToken = default)
    {
        if (until <= since)
        {
            throw new ArgumentException($"The range must end after it starts (since {since:O}, until {until:O}).", nameof(until));
        }

        await schema.EnsureCreatedAsync(cancellationToken);
        await using var command = dataSource.CreateCommand(SelectSql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = since.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = until.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)server ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var minutes = new List<PoolMinute>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            minutes.Add(new PoolMinute
            {
                Instance = reader.GetString(0),
                Server = reader.GetString(1),
                Minute = reader.GetFieldValue<DateTimeOffset>(2),
                SecondsMeasured = reader.GetDouble(3),
                PeakInUse = reader.GetInt32(4),
                PeakWaiting = reader.GetInt32(5),
                Share = reader.GetInt32(6),
                Opens = reader.GetInt64(7),
                AcquireWaitP50Seconds = await reader.GetFieldValueAsync<double?>(8, cancellationToken),
                AcquireWaitP99Seconds = await reader.GetFieldValueAsync<double?>(9, cancellationToken),
                HoldTimeP50Seconds = await reader.GetFieldValueAsync<double?>(10, cancellationToken),
                HoldTimeP99Seconds = await reader.GetFieldValueAsync<double?>(11, cancellationToken),
                Timeouts = await reader.GetFieldValueAsync<long?>(12, cancellationToken),
                Requests = await reader.GetFieldValueAsync<long?>(13, cancellationToken),
            });
        }

        return new PoolHistoryRange(since, until, minutes, ServerHistorySummary.Of(minutes));
    }
}
