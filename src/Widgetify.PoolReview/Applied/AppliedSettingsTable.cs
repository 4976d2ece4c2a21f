using Npgsql;

namespace Widgetify.PoolReview.Applied;

/// <summary>The table <c>widgetify_applied_settings</c> on the primary: every value <c>./widgetify review --apply</c> set,
/// one row per change, never updated. The newest row of a setting is the value in effect, and every instance of a fleet
/// reads it (<c>Review:AppliedSettingsPollInterval</c>); the older rows are the history the review document lists.
/// Created by whoever uses it first, so it does not depend on the service's migrations.</summary>
/// <param name="dataSource">A connection to the primary: the service's control connection, or the CLI's own.</param>
public sealed class AppliedSettingsTable(NpgsqlDataSource dataSource)
{
    /// <summary>The table's name.</summary>
    public const string Name = "widgetify_applied_settings";

    private const string CreateSql = $"""
        CREATE TABLE IF NOT EXISTS {Name} (
            id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            setting    text        NOT NULL,
            server     text        NOT NULL,
            from_value integer,
            to_value   integer     NOT NULL CHECK (to_value >= 1),
            applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            applied_by text        NOT NULL,
            reason     text        NOT NULL)
        """;

    private const string Columns = "setting, server, from_value, to_value, applied_at, applied_by, reason";

    private readonly TableCreation creation = new(dataSource, CreateSql);

    /// <summary>Records <paramref name="changes"/> in one transaction (their <see cref="AppliedSetting.At"/> is replaced by
    /// the database's clock) and returns them as stored.</summary>
    /// <param name="changes">The changes to record.</param>
    /// <param name="cancellationToken">Cancels the write; nothing is recorded then.</param>
    public async Task<IReadOnlyList<AppliedSetting>> RecordAsync(IReadOnlyList<AppliedSetting> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await EnsureCreatedAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = new List<AppliedSetting>();
        foreach (var change in changes)
        {
            await using var command = new NpgsqlCommand(
                $"INSERT INTO {Name} (setting, server, from_value, to_value, applied_by, reason) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {Columns}",
                connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = change.Setting });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = change.Server });
            command.Parameters.Add(new NpgsqlParameter { Value = change.From is { } from ? from : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = change.To });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = change.By });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = change.Reason });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            stored.Add(Read(reader));
        }

        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    /// <summary>The value in effect of every setting ever applied: the newest row of each.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<IReadOnlyList<AppliedSetting>> ReadInEffectAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT DISTINCT ON (setting, server) {Columns} FROM {Name} ORDER BY setting, server, id DESC", cancellationToken);

    /// <summary>The newest <paramref name="limit"/> changes, newest first.</summary>
    /// <param name="limit">How many at most.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<IReadOnlyList<AppliedSetting>> ReadRecentAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return QueryAsync($"SELECT {Columns} FROM {Name} ORDER BY id DESC LIMIT {limit}", cancellationToken);
    }

    private async Task<IReadOnlyList<AppliedSetting>> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<AppliedSetting>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }

        return rows;
    }

    private static AppliedSetting Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.GetInt32(3),
        reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetString(6));

    internal Task EnsureCreatedAsync(CancellationToken cancellationToken) => creation.EnsureCreatedAsync(cancellationToken);
}
