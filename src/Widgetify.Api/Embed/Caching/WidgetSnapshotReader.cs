using Npgsql;
using NpgsqlTypes;
using Widgetify.Api.Data;
using Widgetify.Api.Polls;

namespace Widgetify.Api.Embed.Caching;

/// <summary>The cache's one query: a widget, a poll's totals and the WAL position they reflect, in one round trip.</summary>
internal sealed class WidgetSnapshotReader(WidgetifyDataSources dataSources)
{
    // Three statements of one batch, each with its own snapshot (READ COMMITTED), in order: the position is read before
    // the row's snapshot is taken, so every commit at or below it is visible in the row. Read after, it could cover a
    // commit the row's snapshot did not see, and a consistency token of that write would be answered from an entry
    // without it. On the primary, one byte below the write position (pg_current_wal_lsn, WAL written out of the buffers,
    // not necessarily flushed): a commit record can be written before its transaction is visible, so a snapshot taken
    // at write position P may miss the commit that ends at P. A token is the insert position read after its COMMIT
    // returned, so it is at least the write position at any earlier moment: a token at or below P - 1 was handed out
    // before this read began, when its write was already visible. An entry may be judged older than it is (one extra
    // read), never newer.
    private const string PositionSql =
        "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() - 1 END";

    private const string WidgetSql = $"SELECT {WidgetStore.Columns} FROM widgets WHERE id = $1";

    private const string TallySql = "SELECT option, votes FROM poll_option_votes WHERE widget_id = $1";

    /// <summary>From wherever reads are routed, honouring the current request's consistency token if there is one.</summary>
    public Task<WidgetSnapshot> ReadRoutedAsync(Guid id, CancellationToken cancellationToken) =>
        dataSources.ReadAsync((connection, ct) => ReadAsync(connection, id, ct), cancellationToken);

    /// <summary>From the primary: when a standby's snapshot was older than a change already heard.</summary>
    public async Task<WidgetSnapshot> ReadPrimaryAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        return await ReadAsync(connection, id, cancellationToken);
    }

    private static async Task<WidgetSnapshot> ReadAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(PositionSql));
        var widget = new NpgsqlBatchCommand(WidgetSql);
        widget.Parameters.Add(new() { Value = id });
        batch.BatchCommands.Add(widget);
        var tally = new NpgsqlBatchCommand(TallySql);
        tally.Parameters.Add(new() { Value = id });
        batch.BatchCommands.Add(tally);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        // Null on a standby that has replayed nothing yet: the lowest position, which covers no token.
        var position = reader.IsDBNull(0) ? default : reader.GetFieldValue<NpgsqlLogSequenceNumber>(0);
        await reader.NextResultAsync(cancellationToken);
        var row = await reader.ReadAsync(cancellationToken) ? WidgetStore.Read(reader) : null;
        await reader.NextResultAsync(cancellationToken);
        var votes = new Dictionary<int, long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            votes[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return new WidgetSnapshot(row, row?.Kind == PollConfig.Kind ? new PollTally(votes, null) : null, position);
    }
}
