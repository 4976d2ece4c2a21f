using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Widgetify.Api.RateLimiting;
using Widgetify.Core.Deadlines;

namespace Widgetify.Api.Data;

/// <summary>Every widget query. SQL is always parameterized; every tenant-facing query filters on tenant_id,
/// so another tenant's widget is simply not found. Reads go through <see cref="WidgetifyDataSources.ReadAsync{T}"/> and the
/// writes through <see cref="DetachedCancellation"/>: either way the request stops waiting at its deadline even when
/// PostgreSQL does not answer the cancel request.</summary>
internal sealed class WidgetStore(WidgetifyDataSources dataSources, WidgetIdGenerator ids, TimeProvider timeProvider)
{
    internal const string Columns = "id, tenant_id, name, kind, config, created_at, updated_at, version, view_count";

    // The widget as created, kept with its Idempotency-Key so a retry gets the same widget back. This is the row, not a
    // response: how a widget is rendered is the API's business. Web defaults (camelCase) read the rows written when the
    // API's rendering was stored here, which carried the same fields minus the tenant.
    private static readonly JsonSerializerOptions CreatedWidgetJson = new(JsonSerializerDefaults.Web);

    /// <summary>A tenant's widget, from wherever reads are routed (a standby when one is ready).</summary>
    public Task<Widget?> GetAsync(Guid tenantId, Guid id, CancellationToken cancellationToken) =>
        dataSources.ReadAsync(async (connection, ct) =>
        {
            await using var command = connection.CreateCommand($"SELECT {Columns} FROM widgets WHERE tenant_id = $1 AND id = $2");
            command.Parameters.Add(new() { Value = tenantId });
            command.Parameters.Add(new() { Value = id });
            return await ReadSingleAsync(command, ct);
        }, cancellationToken);

    /// <summary>The public embed path: any tenant's widget, from wherever reads are routed.</summary>
    public Task<Widget?> GetPublicAsync(Guid id, CancellationToken cancellationToken) =>
        dataSources.ReadAsync(async (connection, ct) =>
        {
            await using var command = connection.CreateCommand($"SELECT {Columns} FROM widgets WHERE id = $1");
            command.Parameters.Add(new() { Value = id });
            return await ReadSingleAsync(command, ct);
        }, cancellationToken);

    /// <summary>Keyset page in id (= creation) order: <paramref name="limit"/> + 1 rows are read so the caller
    /// knows whether a next page exists without a COUNT.</summary>
    public Task<List<Widget>> ListAsync(
        Guid tenantId, string? kind, string? nameContains, Guid? after, int limit, CancellationToken cancellationToken) =>
        dataSources.ReadAsync((connection, ct) => ListAsync(connection, tenantId, kind, nameContains, after, limit, ct), cancellationToken);

    private static async Task<List<Widget>> ListAsync(
        NpgsqlConnection connection, Guid tenantId, string? kind, string? nameContains, Guid? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand($"""
            SELECT {Columns} FROM widgets
            WHERE tenant_id = $1
              AND ($2::text IS NULL OR kind = $2)
              AND ($3::text IS NULL OR name ILIKE '%' || $3 || '%')
              AND ($4::uuid IS NULL OR id > $4)
            ORDER BY id
            LIMIT $5
            """);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = (object?)kind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)EscapeLike(nameContains) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = limit + 1 });

        var widgets = new List<Widget>(limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            widgets.Add(Read(reader));
        }

        return widgets;
    }

    /// <summary>Creates a widget. With an idempotency key, the key, its request hash and the response are
    /// recorded in the same transaction: a concurrent retry waits on the key's row, then replays. With
    /// <paramref name="quota"/>, the usage trigger refuses a widget over the tenant's quota in the same transaction, so
    /// two writers at the edge cannot both pass (null: counted, not enforced).</summary>
    public Task<CreateOutcome> CreateAsync(
        Guid tenantId, WidgetDraft draft, IdempotencyRequest? idempotency, Quota? quota, CancellationToken cancellationToken) =>
        DetachedCancellation.RunAsync(ct => CreateCoreAsync(tenantId, draft, idempotency, quota, ct), cancellationToken);

    private async Task<CreateOutcome> CreateCoreAsync(
        Guid tenantId, WidgetDraft draft, IdempotencyRequest? idempotency, Quota? quota, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        // The usage trigger locks the tenant's usage row until the transaction ends, so every create of a tenant waits
        // for the one before to commit. Without an idempotency key the quota setting and the insert are one batch, one
        // implicit transaction: the lock lasts as long as PostgreSQL takes to run them. An explicit transaction would
        // hold it over one more round trip (the COMMIT), and under a saturated CPU each round trip waits for a thread
        // (measured in an embed storm: 74-108 creates/s of one tenant, against the write limit's 125/s in one batch;
        // docs/benchmarks.md, site owners during a visitor storm). With a key, the claim, the insert and the recorded
        // response must commit together, so they keep the explicit transaction.
        await using var transaction = idempotency is null ? null : await connection.BeginTransactionAsync(cancellationToken);

        if (idempotency is not null)
        {
            await using var claim = new NpgsqlCommand("""
                INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3)
                ON CONFLICT (tenant_id, key) DO NOTHING
                """, connection, transaction);
            claim.Parameters.Add(new() { Value = tenantId });
            claim.Parameters.Add(new() { Value = idempotency.Key });
            claim.Parameters.Add(new() { Value = idempotency.RequestHash });
            if (await claim.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                var replay = await ReadReplayAsync(connection, transaction!, tenantId, idempotency, cancellationToken);
                await transaction!.CommitAsync(cancellationToken);
                // The first request's write may not have reached the standbys yet: the replay hands out a token too.
                await dataSources.NoteWriteAsync(connection, cancellationToken);
                return replay;
            }
        }

        var now = timeProvider.GetUtcNow();
        await using var batch = new NpgsqlBatch(connection, transaction);
        AddQuota(batch, quota);
        var insert = new NpgsqlBatchCommand($"""
            INSERT INTO widgets (id, tenant_id, name, kind, config, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $6)
            RETURNING {Columns}
            """);
        insert.Parameters.Add(new() { Value = ids.Next() });
        insert.Parameters.Add(new() { Value = tenantId });
        insert.Parameters.Add(new() { Value = draft.Name });
        insert.Parameters.Add(new() { Value = draft.Kind });
        insert.Parameters.Add(new() { Value = draft.ConfigJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        insert.Parameters.Add(new() { Value = now });
        batch.BatchCommands.Add(insert);
        Widget widget;
        try
        {
            widget = (await ReadLastSingleAsync(batch, cancellationToken))!;
        }
        catch (PostgresException ex) when (QuotaBreach.From(ex) is { } breach)
        {
            return new CreateOutcome.QuotaExceeded(breach); // the transaction rolls back: nothing written, the key unclaimed
        }

        if (idempotency is not null)
        {
            await using var record = new NpgsqlCommand(
                "UPDATE idempotency_keys SET widget_id = $3, response = $4 WHERE tenant_id = $1 AND key = $2",
                connection, transaction);
            record.Parameters.Add(new() { Value = tenantId });
            record.Parameters.Add(new() { Value = idempotency.Key });
            record.Parameters.Add(new() { Value = widget.Id });
            record.Parameters.Add(new() { Value = JsonSerializer.Serialize(widget, CreatedWidgetJson) });
            await record.ExecuteNonQueryAsync(cancellationToken);
            await transaction!.CommitAsync(cancellationToken);
        }

        await dataSources.NoteWriteAsync(connection, cancellationToken);
        return new CreateOutcome.Created(widget);
    }

    private static async Task<CreateOutcome> ReadReplayAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IdempotencyRequest idempotency,
        CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand(
            "SELECT request_hash, widget_id, response FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
            connection, transaction);
        read.Parameters.Add(new() { Value = tenantId });
        read.Parameters.Add(new() { Value = idempotency.Key });
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(1))
        {
            // The first request's transaction rolled back between our conflict and this read; the client may retry.
            return new CreateOutcome.InFlight();
        }

        var hash = reader.GetFieldValue<byte[]>(0);
        return hash.AsSpan().SequenceEqual(idempotency.RequestHash)
            ? new CreateOutcome.Replayed(CreatedWidget(tenantId, reader.GetGuid(1), reader.GetString(2)))
            : new CreateOutcome.KeyReused();
    }

    /// <summary>The widget as it was created, from what <see cref="CreateAsync"/> recorded with the key.</summary>
    private static Widget CreatedWidget(Guid tenantId, Guid widgetId, string json)
    {
        var widget = JsonSerializer.Deserialize<Widget>(json, CreatedWidgetJson)
            ?? throw new InvalidOperationException($"The idempotency record of widget {widgetId} holds no widget.");
        return widget with { Id = widgetId, TenantId = tenantId };
    }

    /// <summary>Replaces the editable fields if the stored version is still <paramref name="expectedVersion"/>
    /// (null: whatever the version).</summary>
    public Task<UpdateOutcome> UpdateAsync(
        Guid tenantId, Guid id, WidgetDraft draft, int? expectedVersion, Quota? quota, CancellationToken cancellationToken) =>
        DetachedCancellation.RunAsync(ct => UpdateCoreAsync(tenantId, id, draft, expectedVersion, quota, ct), cancellationToken);

    private async Task<UpdateOutcome> UpdateCoreAsync(
        Guid tenantId, Guid id, WidgetDraft draft, int? expectedVersion, Quota? quota, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        // One batch is one implicit transaction: the quota setting lasts for the update and its trigger only.
        await using var batch = new NpgsqlBatch(connection);
        AddQuota(batch, quota);
        var command = new NpgsqlBatchCommand($"""
            UPDATE widgets SET name = $3, kind = $4, config = $5, updated_at = $6, version = version + 1
            WHERE tenant_id = $1 AND id = $2 AND ($7::integer IS NULL OR version = $7)
            RETURNING {Columns}
            """);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = draft.Name });
        command.Parameters.Add(new() { Value = draft.Kind });
        command.Parameters.Add(new() { Value = draft.ConfigJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = timeProvider.GetUtcNow() });
        command.Parameters.Add(new() { Value = (object?)expectedVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        batch.BatchCommands.Add(command);
        Widget? updated;
        try
        {
            updated = await ReadLastSingleAsync(batch, cancellationToken);
        }
        catch (PostgresException ex) when (QuotaBreach.From(ex) is { } breach)
        {
            return new UpdateOutcome.QuotaExceeded(breach);
        }
        catch (PostgresException ex) when (ex.SqlState == PollVotesKept.SqlState)
        {
            return new UpdateOutcome.PollVotesKept(PollVotesKept.VotesIn(ex));
        }

        return await ConditionalOutcomeAsync(updated, connection, tenantId, id, cancellationToken);
    }

    /// <summary>Asks the usage trigger to enforce <paramref name="quota"/> for this transaction only.</summary>
    private static void AddQuota(NpgsqlBatch batch, Quota? quota)
    {
        if (quota is { } q)
        {
            var setting = new NpgsqlBatchCommand("SELECT set_config('widgetify.quota', $1, true)");
            setting.Parameters.Add(new() { Value = string.Create(CultureInfo.InvariantCulture, $"{q.MaxWidgets},{q.MaxStoredBytes}") });
            batch.BatchCommands.Add(setting);
        }
    }

    /// <summary>The row the batch's last command returned, if any.</summary>
    private static async Task<Widget?> ReadLastSingleAsync(NpgsqlBatch batch, CancellationToken cancellationToken)
    {
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        for (var i = 1; i < batch.BatchCommands.Count; i++)
        {
            await reader.NextResultAsync(cancellationToken);
        }

        var widget = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        // Errors of the batch (a quota the trigger refused) surface as the reader is consumed to its end.
        while (await reader.NextResultAsync(cancellationToken))
        {
        }

        return widget;
    }

    /// <summary>Deletes a widget; with <paramref name="expectedVersion"/>, only if it is still that version.</summary>
    public Task<UpdateOutcome> DeleteAsync(Guid tenantId, Guid id, int? expectedVersion, CancellationToken cancellationToken) =>
        DetachedCancellation.RunAsync(ct => DeleteCoreAsync(tenantId, id, expectedVersion, ct), cancellationToken);

    private async Task<UpdateOutcome> DeleteCoreAsync(Guid tenantId, Guid id, int? expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand($"""
            DELETE FROM widgets WHERE tenant_id = $1 AND id = $2 AND ($3::integer IS NULL OR version = $3)
            RETURNING {Columns}
            """);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = (object?)expectedVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        return await RunConditionalAsync(command, tenantId, id, cancellationToken);
    }

    /// <summary>Adds buffered view counts in one statement, however many widgets were viewed.</summary>
    public async Task AddViewsAsync(Guid[] ids, DateTimeOffset[] hours, long[] counts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        // One statement, so one transaction: the totals and the hourly rollups move together. Only the widgets the UPDATE
        // found (and locked against a concurrent delete) get hourly rows: a view of a widget deleted since is dropped, not
        // a foreign-key error that would fail the whole batch again on every retry. The hourly rows are written in
        // (widget, hour) order, the order a vote batch locks them in too: in any other order a flush and a vote batch
        // touching the same two polls could each hold the row the other waits for (a deadlock, and 503s for the votes).
        await using var command = connection.CreateCommand("""
            WITH v AS (
                SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::bigint[]) AS v(id, hour, n)
            ), totals AS (
                UPDATE widgets AS w SET view_count = w.view_count + t.n
                FROM (SELECT id, sum(n) AS n FROM v GROUP BY id ORDER BY id) AS t
                WHERE w.id = t.id
                RETURNING w.id
            )
            INSERT INTO widget_activity_hourly AS a (widget_id, hour, views)
            SELECT v.id, v.hour, v.n FROM v JOIN totals USING (id) ORDER BY v.id, v.hour
            ON CONFLICT (widget_id, hour) DO UPDATE SET views = a.views + excluded.views
            """);
        command.Parameters.Add(new() { Value = ids });
        command.Parameters.Add(new() { Value = hours });
        command.Parameters.Add(new() { Value = counts });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Forgets idempotency keys older than <paramref name="lifetime"/>.</summary>
    public async Task<int> DeleteExpiredIdempotencyKeysAsync(TimeSpan lifetime, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("DELETE FROM idempotency_keys WHERE created_at < $1");
        command.Parameters.Add(new() { Value = timeProvider.GetUtcNow() - lifetime });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Number of widgets the tenant owns.</summary>
    public async Task<long> CountAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("SELECT count(*) FROM widgets WHERE tenant_id = $1");
        command.Parameters.Add(new() { Value = tenantId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Bulk-loads widgets with binary COPY: one round trip stream instead of a statement per row.</summary>
    public async Task ImportAsync(Guid tenantId, IEnumerable<WidgetDraft> drafts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY widgets (id, tenant_id, name, kind, config, created_at, updated_at) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var draft in drafts)
        {
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(ids.Next(), NpgsqlTypes.NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(tenantId, NpgsqlTypes.NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(draft.Name, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(draft.Kind, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(draft.ConfigJson, NpgsqlTypes.NpgsqlDbType.Jsonb, cancellationToken);
            await importer.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    /// <summary>Runs a conditional UPDATE/DELETE ... RETURNING; when it matched nothing, tells a missing widget
    /// (or another tenant's) from one whose version moved on.</summary>
    private async Task<UpdateOutcome> RunConditionalAsync(NpgsqlCommand command, Guid tenantId, Guid id, CancellationToken cancellationToken) =>
        await ConditionalOutcomeAsync(await ReadSingleAsync(command, cancellationToken), command.Connection!, tenantId, id, cancellationToken);

    private async Task<UpdateOutcome> ConditionalOutcomeAsync(
        Widget? changed, NpgsqlConnection connection, Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        if (changed is { } widget)
        {
            await dataSources.NoteWriteAsync(connection, cancellationToken);
            return new UpdateOutcome.Done(widget);
        }

        // On the same connection: a request holds at most one connection at a time, which is what lets the
        // admission limit (requests) bound the connections in use.
        var current = await GetVersionAsync(connection, tenantId, id, cancellationToken);
        return current is null ? new UpdateOutcome.NotFound() : new UpdateOutcome.VersionMismatch(current.Value);
    }

    private static async Task<int?> GetVersionAsync(NpgsqlConnection connection, Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand("SELECT version FROM widgets WHERE tenant_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = id });
        return await command.ExecuteScalarAsync(cancellationToken) is int version ? version : null;
    }

    private static async Task<Widget?> ReadSingleAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    internal static Widget Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetFieldValue<JsonElement>(4),
        reader.GetFieldValue<DateTimeOffset>(5),
        reader.GetFieldValue<DateTimeOffset>(6),
        reader.GetInt32(7),
        reader.GetInt64(8));

    private static string? EscapeLike(string? value) => value?
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("%", "\\%", StringComparison.Ordinal)
        .Replace("_", "\\_", StringComparison.Ordinal);
}

/// <summary>An <c>Idempotency-Key</c> and the SHA-256 of the request body it came with.</summary>
internal sealed record IdempotencyRequest(string Key, byte[] RequestHash);

/// <summary>What a create did.</summary>
internal abstract record CreateOutcome
{
    private CreateOutcome() { }

    public sealed record Created(Widget Widget) : CreateOutcome;

    /// <summary>An earlier request with the same key and body created <paramref name="Widget"/>: as it was then.</summary>
    public sealed record Replayed(Widget Widget) : CreateOutcome;

    public sealed record KeyReused : CreateOutcome;

    public sealed record InFlight : CreateOutcome;

    /// <summary>The widget would take the tenant over its quota; nothing was written.</summary>
    public sealed record QuotaExceeded(QuotaBreach Breach) : CreateOutcome;
}

/// <summary>What an update or delete did.</summary>
internal abstract record UpdateOutcome
{
    private UpdateOutcome() { }

    public sealed record Done(Widget Widget) : UpdateOutcome;

    public sealed record NotFound : UpdateOutcome;

    public sealed record VersionMismatch(int CurrentVersion) : UpdateOutcome;

    /// <summary>The change would take the tenant over its stored-bytes quota; nothing was written.</summary>
    public sealed record QuotaExceeded(QuotaBreach Breach) : UpdateOutcome;

    /// <summary>The change would give <paramref name="Votes"/> votes of a poll to other options, or drop them (migration
    /// 0008); nothing was written.</summary>
    public sealed record PollVotesKept(long Votes) : UpdateOutcome;
}

/// <summary>Migration 0008's refusal of an edit that would move a poll's votes to other options.</summary>
internal static class PollVotesKept
{
    /// <summary>The trigger's SQLSTATE.</summary>
    public const string SqlState = "WP001";

    /// <summary>The votes the refused edit would have moved or dropped: the message ends in their count.</summary>
    public static long VotesIn(PostgresException exception) =>
        long.TryParse(exception.MessageText[(exception.MessageText.LastIndexOf(' ') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var votes)
            ? votes : 0;
}
