using Npgsql;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;

namespace Widgetify.Scaling.Decisions;

/// <summary>The decisions table: written by the leader, read by every instance for <c>/api/scaling</c>, and read by a
/// new leader to learn when the last action ended (its cooldown still holds).</summary>
internal sealed class DecisionStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, at, instance, direction, from_replicas, to_replicas, reason, result, message, completed_at, replicas_after";

    /// <summary>Stores a decision as it is taken.</summary>
    /// <returns>Its key.</returns>
    public async Task<long> InsertAsync(ScalingDecisionRecord decision, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO {ScalingSchema.DecisionsTable} (at, instance, direction, from_replicas, to_replicas, reason, result, message, completed_at, replicas_after)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
            """);
        AddValues(command, decision);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Records how the action of the stored decision <see cref="ScalingDecisionRecord.Id"/> ended.</summary>
    public async Task CompleteAsync(ScalingDecisionRecord decision, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            UPDATE {ScalingSchema.DecisionsTable} SET result = $2, message = $3, completed_at = $4, replicas_after = $5 WHERE id = $1
            """);
        command.Parameters.Add(new() { Value = decision.Id });
        command.Parameters.Add(new() { Value = ToDatabase(decision.Result) });
        command.Parameters.Add(new() { Value = (object?)decision.Message ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (object?)decision.CompletedAt ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (object?)decision.ReplicasAfter ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Marks the actions a previous leader left pending as failed: it lost its lease (and so stopped them) or
    /// died before it could record how they ended.</summary>
    /// <returns>The decisions marked, newest first.</returns>
    public Task<IReadOnlyList<ScalingDecisionRecord>> AbandonPendingAsync(string newLeader, DateTimeOffset now, CancellationToken cancellationToken) =>
        QueryAsync($"""
            UPDATE {ScalingSchema.DecisionsTable}
            SET result = 'failed', completed_at = $1,
                message = 'Abandoned: its leader stopped leading before the action ended; ' || $2 || ' took over. Check the standbys by hand: the action may have been done in part.'
            WHERE result = 'pending'
            RETURNING {Columns}
            """, cancellationToken, now, newLeader);

    /// <summary>The newest decisions of the whole fleet, newest first.</summary>
    public Task<IReadOnlyList<ScalingDecisionRecord>> ReadRecentAsync(int limit, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM {ScalingSchema.DecisionsTable} ORDER BY at DESC, id DESC LIMIT $1", cancellationToken, limit);

    /// <summary>The action that ended last, by any leader; null when none has.</summary>
    public async Task<ScalingDecisionRecord?> ReadLastCompletedAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"SELECT {Columns} FROM {ScalingSchema.DecisionsTable} WHERE completed_at IS NOT NULL ORDER BY completed_at DESC, id DESC LIMIT 1",
            cancellationToken);
        return rows.Count > 0 ? rows[0] : null;
    }

    internal static string ToDatabase(ScalingResult result) => result switch
    {
        ScalingResult.Pending => "pending",
        ScalingResult.Succeeded => "succeeded",
        _ => "failed",
    };

    private static void AddValues(NpgsqlCommand command, ScalingDecisionRecord decision)
    {
        command.Parameters.Add(new() { Value = decision.At });
        command.Parameters.Add(new() { Value = decision.Instance });
        command.Parameters.Add(new() { Value = CommandActionDocument.WireName(decision.Direction) });
        command.Parameters.Add(new() { Value = decision.From });
        command.Parameters.Add(new() { Value = decision.To });
        command.Parameters.Add(new() { Value = decision.Reason });
        command.Parameters.Add(new() { Value = ToDatabase(decision.Result) });
        command.Parameters.Add(new() { Value = (object?)decision.Message ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (object?)decision.CompletedAt ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (object?)decision.ReplicasAfter ?? DBNull.Value });
    }

    private async Task<IReadOnlyList<ScalingDecisionRecord>> QueryAsync(string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new() { Value = value });
        }

        var rows = new List<ScalingDecisionRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ScalingDecisionRecord
            {
                Id = reader.GetInt64(0),
                At = reader.GetFieldValue<DateTimeOffset>(1),
                Instance = reader.GetString(2),
                Direction = reader.GetString(3) switch
                {
                    "out" => ScalingDirection.Out,
                    "in" => ScalingDirection.In,
                    _ => ScalingDirection.Replace,
                },
                From = reader.GetInt32(4),
                To = reader.GetInt32(5),
                Reason = reader.GetString(6),
                Result = reader.GetString(7) switch
                {
                    "pending" => ScalingResult.Pending,
                    "succeeded" => ScalingResult.Succeeded,
                    _ => ScalingResult.Failed,
                },
                Message = reader.IsDBNull(8) ? null : reader.GetString(8),
                CompletedAt = reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                ReplicasAfter = reader.IsDBNull(10) ? null : reader.GetInt32(10),
            });
        }

        return rows;
    }
}
