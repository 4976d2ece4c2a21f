using Widgetify.Api.Data;

namespace Widgetify.Api.Stats;

/// <summary>Reads and prunes the hourly activity rollups (<c>widget_activity_hourly</c>, migration 0004). The writers
/// (view flush, votes, clicks) each add to their hour's row in their own transactions; this class never writes counts.</summary>
internal sealed class WidgetActivityStore(WidgetifyDataSources dataSources)
{
    /// <summary>The widget's non-empty buckets in the range, oldest first; null when the tenant has no such widget. From
    /// wherever reads are routed (a standby when one is ready), like <c>GET /api/widgets/{id}</c>: statistics a
    /// second behind are fine, and a client that must see its own write sends its consistency token.</summary>
    public Task<List<ActivityBucket>?> ReadAsync(Guid tenantId, Guid widgetId, StatsQuery query, CancellationToken cancellationToken) =>
        dataSources.ReadAsync<List<ActivityBucket>?>(async (connection, ct) =>
        {
            // date_bin from 2000-01-01 00:00 UTC: days are UTC days whatever the session's TimeZone is.
            await using var command = connection.CreateCommand("""
                SELECT b.start, b.views, b.votes, b.clicks
                FROM widgets AS w
                LEFT JOIN LATERAL (
                    SELECT date_bin($3::interval, a.hour, timestamptz '2000-01-01 00:00:00+00') AS start,
                           sum(a.views)::bigint AS views, sum(a.votes)::bigint AS votes, sum(a.clicks)::bigint AS clicks
                    FROM widget_activity_hourly AS a
                    WHERE a.widget_id = w.id AND a.hour >= $4 AND a.hour < $5
                    GROUP BY 1
                ) AS b ON true
                WHERE w.id = $1 AND w.tenant_id = $2
                ORDER BY b.start
                """);
            command.Parameters.Add(new() { Value = widgetId });
            command.Parameters.Add(new() { Value = tenantId });
            command.Parameters.Add(new() { Value = query.Interval.Width });
            command.Parameters.Add(new() { Value = query.From });
            command.Parameters.Add(new() { Value = query.To });
            await using var reader = await command.ExecuteReaderAsync(ct);
            List<ActivityBucket>? buckets = null;
            while (await reader.ReadAsync(ct))
            {
                buckets ??= [];
                if (!reader.IsDBNull(0))
                {
                    buckets.Add(new ActivityBucket(
                        reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
                }
            }

            return buckets;
        }, cancellationToken);

    /// <summary>The widgets viewed since the start of the hour <paramref name="since"/> falls in, most viewed first, at most
    /// <paramref name="limit"/>: what visitors are embedding now (the embed cache's warm-up reads these). From wherever
    /// reads are routed: a count a second old ranks the widgets as well.</summary>
    public Task<List<Guid>> MostViewedAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken) =>
        dataSources.ReadAsync(async (connection, ct) =>
        {
            await using var command = connection.CreateCommand("""
                SELECT widget_id
                FROM widget_activity_hourly
                WHERE hour >= date_bin('1 hour', $1, timestamptz '2000-01-01 00:00:00+00') AND views > 0
                GROUP BY widget_id
                ORDER BY sum(views) DESC, widget_id
                LIMIT $2
                """);
            command.Parameters.Add(new() { Value = since });
            command.Parameters.Add(new() { Value = limit });
            await using var reader = await command.ExecuteReaderAsync(ct);
            var ids = new List<Guid>();
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetGuid(0));
            }

            return ids;
        }, cancellationToken);

    /// <summary>Deletes at most <paramref name="batchSize"/> hours older than <paramref name="cutoff"/>, in one short
    /// statement (the hour index finds them); the retention job repeats it until a batch comes back short.</summary>
    public async Task<int> DeleteHoursBeforeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("""
            DELETE FROM widget_activity_hourly
            WHERE ctid = ANY (ARRAY(SELECT ctid FROM widget_activity_hourly WHERE hour < $1 LIMIT $2))
            """);
        command.Parameters.Add(new() { Value = cutoff });
        command.Parameters.Add(new() { Value = batchSize });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>One bucket's activity.</summary>
internal sealed record ActivityBucket(DateTimeOffset Start, long Views, long Votes, long Clicks);
