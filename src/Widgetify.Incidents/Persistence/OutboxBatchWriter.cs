using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents.Persistence;

/// <summary>One outbox batch's writes, on one connection and transaction that <see cref="IncidentStore.ApplyAsync"/>
/// opened (and locked when the batch opens, resolves or leaves an incident). Every write is idempotent: upserts of
/// absolute totals, inserts that ignore rows already there, updates guarded by the incident's state.</summary>
internal sealed class OutboxBatchWriter(NpgsqlConnection connection, NpgsqlTransaction transaction, string instance, TimeSpan liveness)
{
    // The alerts named in $4 are added to the incident's list (each once), and the row is marked as just updated.
    private const string MergeAlertsAndTouch =
        "alerts = alerts || ARRAY(SELECT a FROM unnest($4::text[]) AS a WHERE NOT a = ANY (alerts)), updated_at = clock_timestamp()";

    /// <summary>Writes <paramref name="batch"/> in order: opens and joins, timeline entries, resolutions and
    /// departures, then the latest states and the samples.</summary>
    /// <returns>The stored incident behind each newly opened local one, and the resolutions.</returns>
    public async Task<FlushResult> WriteAsync(OutboxBatch batch, CancellationToken cancellationToken)
    {
        var opened = new List<OpenResult>();
        var resolutions = new List<ResolveResult>();
        var ids = new Dictionary<IncidentHandle, (Guid Id, bool Joined)>();
        (Guid Id, bool Joined) Resolve(IncidentHandle handle) => ids.TryGetValue(handle, out var known) ? known : (handle.Id, handle.Joined);

        foreach (var op in batch.Ops)
        {
            switch (op)
            {
                case OpenOp open:
                    var result = await OpenOrJoinAsync(open, cancellationToken);
                    ids[open.Handle] = (result.Id, result.Joined);
                    opened.Add(result);
                    break;
                case EventOp { Event: var e } entry:
                    var (eventIncident, joined) = Resolve(entry.Handle);
                    if (entry.Opening && joined)
                    {
                        // Its opening entries would claim a second detection; what happened is that this instance joined.
                        e = e with { Kind = IncidentEventKind.Note, Message = Format($"Instance {instance} joined: {e.Message}") };
                    }

                    await InsertEventAsync(eventIncident, e, cancellationToken);
                    break;
                case ResolveOp resolve:
                    resolutions.Add(await ResolveAsync(resolve, Resolve(resolve.Handle).Id, cancellationToken));
                    break;
                case LeaveOp leave:
                    var left = Resolve(leave.Handle).Id;
                    await UpsertInstanceAsync(left, leave.Final.Impact, leave.LeftAt, cancellationToken);
                    await InsertEventAsync(left, leave.Event, cancellationToken);
                    break;
                case PostmortemOp postmortem:
                    var postmortemIncident = Resolve(postmortem.Handle).Id;
                    await ExecuteAsync("UPDATE widgetify_incidents SET postmortem_path = $2, updated_at = clock_timestamp() WHERE id = $1",
                        cancellationToken, postmortemIncident, postmortem.Path);
                    await InsertEventAsync(postmortemIncident, postmortem.Event, cancellationToken);
                    break;
            }
        }

        foreach (var state in batch.States)
        {
            var id = Resolve(state.Handle).Id;
            await UpsertInstanceAsync(id, state.Impact, null, cancellationToken);
            await ExecuteAsync(
                $"""
                UPDATE widgetify_incidents SET status = $2, mitigated_at = coalesce(mitigated_at, $3),
                    {MergeAlertsAndTouch}
                WHERE id = $1 AND resolved_at IS NULL
                """,
                cancellationToken, id, state.Status.ToDatabase(), state.MitigatedAt, state.Alerts.ToArray());
        }

        if (batch.Samples.Count > 0)
        {
            await InsertSamplesAsync(batch.Samples.Select(s => (Resolve(s.Handle).Id, s.Sample)).ToList(), cancellationToken);
        }

        return new FlushResult(opened, resolutions);
    }

    private async Task<OpenResult> OpenOrJoinAsync(OpenOp open, CancellationToken cancellationToken)
    {
        var incident = open.Incident;
        Guid? existing;
        bool delivered;

        // Opened or joined already, by an earlier delivery of this very op (a commit whose acknowledgement was lost, a
        // spool delivered again after a crash): that is the incident, even if resolved since or no longer the oldest
        // open. Without this a retry would join whatever is open now, or open a second incident.
        await using (var find = new NpgsqlCommand(
            "SELECT i.id FROM widgetify_incidents i WHERE i.id = $1 OR $1 = ANY (i.joined_ids) ORDER BY i.id <> $1 LIMIT 1", connection, transaction)
        {
            Parameters = { new() { Value = incident.Id } },
        })
        {
            existing = await find.ExecuteScalarAsync(cancellationToken) as Guid?;
            delivered = existing is not null;
        }

        if (existing is null)
        {
            await using var find = new NpgsqlCommand($"SELECT i.id FROM widgetify_incidents i WHERE {IncidentStore.OldestOpen}", connection, transaction);
            existing = await find.ExecuteScalarAsync(cancellationToken) as Guid?;
        }

        var joined = existing is { } other && other != incident.Id;
        var id = existing ?? incident.Id;
        if (joined && !delivered)
        {
            await ExecuteAsync(
                $"""
                UPDATE widgetify_incidents SET impact_started_at = least(impact_started_at, $2), detected_at = least(detected_at, $3),
                    joined_ids = array_append(joined_ids, $5), {MergeAlertsAndTouch}
                WHERE id = $1
                """,
                cancellationToken, id, incident.ImpactStartedAt, incident.DetectedAt, incident.Alerts.ToArray(), incident.Id);
        }
        else if (existing is null)
        {
            await ExecuteAsync(
                """
                INSERT INTO widgetify_incidents (id, title, status, impact_started_at, detected_at, detected_by, detection_summary, alerts,
                    slo_p99_seconds, slo_availability, opened_by)
                VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (id) DO NOTHING
                """,
                cancellationToken, id, incident.Title, incident.ImpactStartedAt, incident.DetectedAt, incident.DetectedBy,
                incident.DetectionSummary, incident.Alerts.ToArray(), open.SloP99Seconds, open.SloAvailability, instance);
        }

        // Totals already stored for this instance (it was in this incident before a restart) carry on from there.
        await using var upsert = new NpgsqlCommand(
            $"""
            INSERT INTO widgetify_incident_instances AS x (incident_id, instance, joined_at) VALUES ($1, $2, $3)
            ON CONFLICT (incident_id, instance) DO UPDATE SET left_at = NULL, seen_at = clock_timestamp()
            RETURNING {IncidentStore.ImpactColumns}
            """, connection, transaction)
        {
            Parameters = { new() { Value = id }, new() { Value = instance }, new() { Value = incident.DetectedAt } },
        };
        await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var stored = IncidentStore.ReadImpact(reader, 0);
        return new OpenResult(open.Handle, id, joined, stored);
    }

    private async Task<ResolveResult> ResolveAsync(ResolveOp resolve, Guid id, CancellationToken cancellationToken)
    {
        await UpsertInstanceAsync(id, resolve.Final.Impact, resolve.ResolvedAt, cancellationToken);
        var stillIn = new List<string>();
        await using (var others = new NpgsqlCommand(
            """
            SELECT instance FROM widgetify_incident_instances
            WHERE incident_id = $1 AND instance <> $2 AND left_at IS NULL AND seen_at > clock_timestamp() - $3
            ORDER BY instance
            """, connection, transaction)
        {
            Parameters = { new() { Value = id }, new() { Value = instance }, new() { Value = liveness } },
        })
        {
            await using var reader = await others.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stillIn.Add(reader.GetString(0));
            }
        }

        if (stillIn.Count > 0)
        {
            await InsertEventAsync(id, resolve.Event with
            {
                Kind = IncidentEventKind.Note,
                Message = Format($"Instance {instance} recovered; the incident stays open while {string.Join(", ", stillIn)} still report it."),
            }, cancellationToken);
            return new ResolveResult(resolve.Handle, id, false, stillIn);
        }

        var changed = await ExecuteAsync(
            $"""
            UPDATE widgetify_incidents SET status = 'resolved', resolved_at = $2, mitigated_at = coalesce(mitigated_at, $3),
                {MergeAlertsAndTouch}
            WHERE id = $1 AND resolved_at IS NULL
            """,
            cancellationToken, id, resolve.ResolvedAt, resolve.Final.MitigatedAt ?? resolve.ResolvedAt, resolve.Final.Alerts.ToArray());
        if (changed > 0)
        {
            await InsertEventAsync(id, resolve.Event, cancellationToken);
        }

        // changed == 0: resolved already by a retry of this very batch or by another instance; either way it is over.
        return new ResolveResult(resolve.Handle, id, true, []);
    }

    private Task<int> UpsertInstanceAsync(Guid id, IncidentImpact impact, DateTimeOffset? leftAt, CancellationToken cancellationToken) =>
        // greatest(): totals only grow, so a stale retried state can never take back what a newer one stored.
        ExecuteAsync(
            """
            INSERT INTO widgetify_incident_instances AS x
                (incident_id, instance, joined_at, left_at, requests, failed, shed, client_closed, clients, clients_affected, clients_capped)
            VALUES ($1, $2, coalesce($3, clock_timestamp()), $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (incident_id, instance) DO UPDATE SET
                left_at = EXCLUDED.left_at, seen_at = clock_timestamp(),
                requests = greatest(x.requests, EXCLUDED.requests), failed = greatest(x.failed, EXCLUDED.failed),
                shed = greatest(x.shed, EXCLUDED.shed), client_closed = greatest(x.client_closed, EXCLUDED.client_closed),
                clients = greatest(x.clients, EXCLUDED.clients),
                clients_affected = greatest(x.clients_affected, EXCLUDED.clients_affected),
                clients_capped = x.clients_capped OR EXCLUDED.clients_capped
            """,
            cancellationToken, id, instance, leftAt, impact.Requests, impact.Failed, impact.Shed, impact.ClientClosed, impact.Clients,
            impact.ClientsAffected, impact.ClientsCapped);

    private async Task InsertEventAsync(Guid incident, IncidentEvent e, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO widgetify_incident_events (id, incident_id, at, instance, kind, message, "values")
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = e.Id == Guid.Empty ? Guid.CreateVersion7(e.At) : e.Id },
                new() { Value = incident },
                new() { Value = e.At },
                new() { Value = e.Instance ?? instance },
                new() { Value = e.Kind.ToString() },
                new() { Value = e.Message },
                Json(ToJson(e.Values)),
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task InsertSamplesAsync(List<(Guid Incident, IncidentSample Sample)> rows, CancellationToken cancellationToken)
    {
        // One statement for the whole backlog (up to an hour of seconds after an outage): arrays, unnested server-side.
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO widgetify_incident_samples (incident_id, at, instance, requests, bad, shed, p50, p99, served_p99, admission_limit,
                in_flight, queued, pool_used, share, pending, server_connections, max_connections, db_up, longest_tx_seconds, deadlocks,
                rollbacks, commits, opens_waited, client_closed)
            SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::float8[],
                $8::float8[], $9::float8[], $10::float8[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[],
                $16::bigint[], $17::bigint[], $18::boolean[], $19::float8[], $20::bigint[], $21::bigint[], $22::bigint[], $23::bigint[],
                $24::bigint[])
            ON CONFLICT (incident_id, instance, at) DO NOTHING
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = rows.Select(r => r.Incident).ToArray() },
                new() { Value = rows.Select(r => r.Sample.At).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Instance).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Requests).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Bad).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Shed).ToArray() },
                new() { Value = rows.Select(r => r.Sample.P50).ToArray() },
                new() { Value = rows.Select(r => r.Sample.P99).ToArray() },
                new() { Value = rows.Select(r => r.Sample.ServedP99).ToArray() },
                new() { Value = rows.Select(r => r.Sample.AdmissionLimit).ToArray() },
                new() { Value = rows.Select(r => r.Sample.InFlight).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Queued).ToArray() },
                new() { Value = rows.Select(r => r.Sample.PoolUsed).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Share).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Pending).ToArray() },
                new() { Value = rows.Select(r => r.Sample.ServerConnections).ToArray() },
                new() { Value = rows.Select(r => r.Sample.MaxConnections).ToArray() },
                new() { Value = rows.Select(r => r.Sample.DatabaseUp).ToArray() },
                new() { Value = rows.Select(r => r.Sample.LongestTransactionSeconds).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Deadlocks).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Rollbacks).ToArray() },
                new() { Value = rows.Select(r => r.Sample.Commits).ToArray() },
                new() { Value = rows.Select(r => r.Sample.OpensWaited).ToArray() },
                new() { Value = rows.Select(r => r.Sample.ClientClosed).ToArray() },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string? ToJson(IReadOnlyDictionary<string, double>? values)
    {
        if (values is null)
        {
            return null;
        }

        // JSON has no NaN or infinity; a value that is not a number says nothing anyway.
        var finite = values.Where(v => double.IsFinite(v.Value)).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        return JsonSerializer.Serialize(finite);
    }

    private static NpgsqlParameter Json(string? json) => new() { Value = (object?)json ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb };

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
