using Widgetify.Api.Data;
using Widgetify.Core.Deadlines;

namespace Widgetify.Api.Polls;

/// <summary>Votes and results in PostgreSQL (migration 0005): votes are written only by <see cref="VoteWriter"/>, in
/// batches; results are read from the per-option totals, never by counting votes.</summary>
internal sealed class PollStore(WidgetifyDataSources dataSources)
{
    /// <summary>Taken before <see cref="WriteBatchSql"/>, in a statement of its own so that the write's snapshot comes after
    /// it: each poll's advisory lock, shared. An edit that changes a poll's options takes it exclusive (migration 0009), so it
    /// waits for the batches in flight and counts their votes, and a batch after it reads the new options.</summary>
    private const string LockPollsSql = """
        SELECT pg_advisory_xact_lock_shared(2004250484, hashtext(id::text)) FROM (SELECT DISTINCT unnest($1::uuid[]) AS id) AS polls
        """;

    /// <summary>One statement, so one transaction: the votes that are new (a visitor's second vote on a poll is dropped
    /// by the primary key), the option totals and the hour's <c>votes</c> rollup move together or not at all. A poll
    /// deleted meanwhile is locked out by <c>FOR KEY SHARE</c> (a concurrent DELETE waits for the batch, or the batch
    /// skips the poll), so one deleted poll never fails the other polls' votes. A vote for an index the poll no longer has
    /// (its owner removed the option after the vote was checked) is not written, and comes back as such. Totals are
    /// written in key order so that two instances' batches cannot deadlock on them.</summary>
    private const string WriteBatchSql = """
        WITH live AS (
            SELECT id, CASE jsonb_typeof(config -> 'options') WHEN 'array' THEN jsonb_array_length(config -> 'options') ELSE 0 END AS options
            FROM widgets WHERE id = ANY($1) AND kind = 'poll' ORDER BY id FOR KEY SHARE
        ),
        asked AS (
            SELECT v.widget_id, v.visitor, v.option, v.option < live.options AS known
            FROM unnest($1::uuid[], $2::text[], $3::integer[]) AS v(widget_id, visitor, option) JOIN live ON live.id = v.widget_id
        ),
        inserted AS (
            INSERT INTO poll_votes (widget_id, visitor, option, voted_at)
            SELECT widget_id, visitor, option, $4 FROM asked WHERE known
            ORDER BY widget_id, visitor
            ON CONFLICT (widget_id, visitor) DO NOTHING
            RETURNING widget_id, visitor, option
        ),
        totals AS (
            INSERT INTO poll_option_votes AS t (widget_id, option, votes)
            SELECT widget_id, option, count(*) FROM inserted GROUP BY widget_id, option ORDER BY widget_id, option
            ON CONFLICT (widget_id, option) DO UPDATE SET votes = t.votes + EXCLUDED.votes
        ),
        hourly AS (
            INSERT INTO widget_activity_hourly AS h (widget_id, hour, votes)
            SELECT widget_id, date_bin('1 hour', $4, timestamptz '2000-01-01 00:00:00+00'), count(*)
            FROM inserted GROUP BY widget_id ORDER BY widget_id
            ON CONFLICT (widget_id, hour) DO UPDATE SET votes = h.votes + EXCLUDED.votes
        )
        SELECT widget_id, visitor, true FROM inserted
        UNION ALL
        SELECT widget_id, visitor, false FROM asked WHERE NOT known
        UNION ALL
        SELECT polls.id, NULL, false FROM (SELECT DISTINCT unnest($1::uuid[]) AS id) AS polls WHERE polls.id NOT IN (SELECT id FROM live)
        """;

    /// <summary>Writes <paramref name="votes"/> (at most one per poll and visitor) and commits; returns which were new
    /// and which polls no longer exist. Throws when nothing was committed.</summary>
    public async Task<BatchResult> WriteBatchAsync(IReadOnlyList<PendingVote> votes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        // An explicit transaction so that "committed" is the COMMIT's answer, not an implicit commit at the end of a
        // result set whose failure could be missed.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new Npgsql.NpgsqlBatch(connection, transaction);
        // An acknowledged vote is a promise: a server that runs with synchronous_commit off (fast, may lose its last
        // commits in a crash) still waits for the WAL flush of a vote batch. One flush per batch is what group commit buys.
        batch.BatchCommands.Add(new("SELECT set_config('synchronous_commit', 'on', true) WHERE current_setting('synchronous_commit') = 'off'"));
        var polls = votes.Select(v => v.PollId).ToArray();
        batch.BatchCommands.Add(new(LockPollsSql) { Parameters = { new() { Value = polls } } });
        var write = new Npgsql.NpgsqlBatchCommand(WriteBatchSql);
        write.Parameters.Add(new() { Value = polls });
        write.Parameters.Add(new() { Value = votes.Select(v => v.Visitor).ToArray() });
        write.Parameters.Add(new() { Value = votes.Select(v => v.Option).ToArray() });
        write.Parameters.Add(new() { Value = now });
        batch.BatchCommands.Add(write);
        var counted = new HashSet<(Guid, string)>();
        var optionGone = new HashSet<(Guid, string)>();
        var gone = new HashSet<Guid>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.NextResultAsync(cancellationToken); // past set_config's
            await reader.NextResultAsync(cancellationToken); // past the locks'
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.IsDBNull(1))
                {
                    gone.Add(reader.GetGuid(0));
                }
                else
                {
                    (reader.GetBoolean(2) ? counted : optionGone).Add((reader.GetGuid(0), reader.GetString(1)));
                }
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new BatchResult(counted, gone, optionGone);
    }

    /// <summary>The poll's totals per option and the option <paramref name="visitor"/> chose (if any), in one round
    /// trip to the primary: right after voting, the visitor must see their own vote, which a standby may not have yet.
    /// Detached (<see cref="DetachedCancellation"/>), like every routed read: against a frozen PostgreSQL a vote's page
    /// otherwise waited for Npgsql's cancel request, seconds past the request's deadline.</summary>
    public Task<PollTally> ReadTallyAsync(Guid pollId, string? visitor, CancellationToken cancellationToken) =>
        DetachedCancellation.RunAsync(ct => ReadTallyCoreAsync(pollId, visitor, ct), cancellationToken);

    private async Task<PollTally> ReadTallyCoreAsync(Guid pollId, string? visitor, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("""
            SELECT option, votes, false FROM poll_option_votes WHERE widget_id = $1
            UNION ALL
            SELECT option, 0, true FROM poll_votes WHERE widget_id = $1 AND visitor = $2
            """);
        command.Parameters.Add(new() { Value = pollId });
        command.Parameters.Add(new() { Value = (object?)visitor ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var votes = new Dictionary<int, long>();
        int? choice = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetBoolean(2))
            {
                choice = reader.GetInt32(0);
            }
            else
            {
                votes[reader.GetInt32(0)] = reader.GetInt64(1);
            }
        }

        return new PollTally(votes, choice);
    }
}

/// <summary>What a committed batch did: the (poll, visitor) pairs it counted, the polls it found deleted, and the votes for an
/// option their poll no longer has.</summary>
internal sealed record BatchResult(
    IReadOnlySet<(Guid PollId, string Visitor)> Counted, IReadOnlySet<Guid> GonePolls, IReadOnlySet<(Guid PollId, string Visitor)> OptionGone);

/// <summary>A poll's vote totals by option index, and the option the asking visitor chose, if they voted.</summary>
internal sealed record PollTally(IReadOnlyDictionary<int, long> VotesByOption, int? VisitorChoice);
