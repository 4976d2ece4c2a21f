using System.Text.Json;
using Npgsql;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents.Persistence;

/// <summary>Incidents, their timelines and samples in PostgreSQL, shared by every instance on the database. Reads
/// for the API, the CLI and the postmortem; the writes come from the tracker's <see cref="OutboxFlusher"/>, one
/// transaction per batch (<see cref="ApplyAsync"/>, written by <see cref="OutboxBatchWriter"/>).</summary>
public sealed class IncidentStore
{
    /// <summary>One instance's impact totals in widgetify_incident_instances, in the order <see cref="ReadImpact"/> reads them.</summary>
    internal const string ImpactColumns = "requests, failed, shed, client_closed, clients, clients_affected, clients_capped";

    // The incident, its impact summed over its instances (the sums in ImpactColumns' order), its instances, its SLO.
    private const string IncidentColumns = """
        i.id, i.title, i.status, i.impact_started_at, i.detected_at, i.mitigated_at, i.resolved_at, i.detected_by,
        i.detection_summary, i.alerts, i.postmortem_path,
        coalesce(sum(x.requests), 0)::bigint, coalesce(sum(x.failed), 0)::bigint, coalesce(sum(x.shed), 0)::bigint,
        coalesce(sum(x.client_closed), 0)::bigint, coalesce(sum(x.clients), 0)::bigint, coalesce(sum(x.clients_affected), 0)::bigint,
        coalesce(bool_or(x.clients_capped), false),
        coalesce(array_agg(x.instance ORDER BY x.joined_at, x.instance) FILTER (WHERE x.instance IS NOT NULL), '{}'),
        i.slo_p99_seconds, i.slo_availability
        FROM widgetify_incidents i LEFT JOIN widgetify_incident_instances x ON x.incident_id = i.id
        """;

    // The incident an instance re-attaches to and the one a new detection joins must be the same one: the oldest
    // still open, ties broken by id. One clause for both (FindOpenAsync, OutboxBatchWriter's open or join), applied to
    // an alias i.
    internal const string OldestOpen = "i.resolved_at IS NULL ORDER BY i.detected_at, i.id LIMIT 1";

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates a store.</summary>
    /// <param name="dataSource">The instance's control pool (outside the request pool, so an exhausted request pool
    /// never keeps the timeline from being written).</param>
    public IncidentStore(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <summary>Creates the tables unless they exist, and adds the columns added since. Instances starting together
    /// could collide in the catalog on CREATE TABLE IF NOT EXISTS, so creation holds the incidents' transaction-scoped
    /// advisory lock.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        // ALTER TABLE ... ADD COLUMN IF NOT EXISTS takes an ACCESS EXCLUSIVE lock even when the column is there, one table
        // after another; a peer's SELECT over several of these tables (the incidents API, a postmortem) can hold one and
        // wait for the next, and PostgreSQL then ends one side with a deadlock (a fresh clone's test run met one). So the
        // DDL runs only when a column it adds is missing (IncidentSchema.IsCurrentAsync), which is once per database and
        // release; should two first starts still meet a reader, ours holds nothing once rolled back and is run again, as
        // PostgreSQL's documentation advises for deadlocks.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await EnsureSchemaOnceAsync(cancellationToken);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 3)
            {
            }
        }
    }

    private async Task EnsureSchemaOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        if (await IncidentSchema.IsCurrentAsync(connection, cancellationToken))
        {
            return; // every start after the first: no DDL, so no ACCESS EXCLUSIVE lock a peer's read could deadlock with
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await IncidentSchema.LockAsync(connection, transaction, cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(IncidentSchema.CreateSql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // A runtime role with row privileges only: the schema's owner ran this with the service's migrations (a store
            // on the owner's connection), and even CREATE ... IF NOT EXISTS needs CREATE on the schema.
            return;
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The latest incidents, newest first.</summary>
    /// <param name="limit">At most this many.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<IReadOnlyList<Incident>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"SELECT {IncidentColumns} GROUP BY i.id ORDER BY i.detected_at DESC, i.id DESC LIMIT $1", connection)
        {
            Parameters = { new() { Value = limit } },
        };
        return (await ReadIncidentsAsync(command, cancellationToken)).Select(r => r.Incident).ToList();
    }

    /// <summary>The incident with id <paramref name="idOrPrefix"/>, or the only one whose id starts with it.</summary>
    /// <param name="idOrPrefix">A full id, or 8 or more of its leading hex digits (dashes optional).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The incident, or null when none matches.</returns>
    /// <exception cref="ArgumentException">Not an id or a prefix of 8+ hex digits, or a prefix several incidents share.</exception>
    public async Task<Incident?> FindAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        var prefix = NormalizePrefix(idOrPrefix);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"SELECT {IncidentColumns} WHERE replace(i.id::text, '-', '') LIKE $1 GROUP BY i.id ORDER BY i.detected_at DESC LIMIT 3", connection)
        {
            Parameters = { new() { Value = prefix + "%" } },
        };
        var found = await ReadIncidentsAsync(command, cancellationToken);
        if (found.Count > 1)
        {
            throw new ArgumentException(
                $"'{idOrPrefix}' matches several incidents ({string.Join(", ", found.Select(f => f.Incident.Id))}): give more of the id.");
        }

        return found.Count == 0 ? null : found[0].Incident;
    }

    /// <summary>The incident with its timeline and samples: what the postmortem reads.</summary>
    /// <param name="id">The incident's id.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>The report, or null when there is no such incident.</returns>
    public async Task<IncidentReport?> LoadReportAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        StoredIncident stored;
        await using (var command = new NpgsqlCommand($"SELECT {IncidentColumns} WHERE i.id = $1 GROUP BY i.id", connection, transaction)
        {
            Parameters = { new() { Value = id } },
        })
        {
            var found = await ReadIncidentsAsync(command, cancellationToken);
            if (found.Count == 0)
            {
                return null;
            }

            stored = found[0];
        }

        var events = new List<IncidentEvent>();
        await using (var command = new NpgsqlCommand(
            """SELECT id, at, instance, kind, message, "values"::text FROM widgetify_incident_events WHERE incident_id = $1 ORDER BY at, seq""",
            connection, transaction)
        {
            Parameters = { new() { Value = id } },
        })
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                events.Add(new IncidentEvent
                {
                    Id = reader.GetGuid(0),
                    At = reader.GetFieldValue<DateTimeOffset>(1),
                    Instance = reader.GetString(2),
                    Kind = Enum.TryParse<IncidentEventKind>(reader.GetString(3), out var kind) ? kind : IncidentEventKind.Note,
                    Message = reader.GetString(4),
                    Values = reader.IsDBNull(5) ? null : JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(5)),
                });
            }
        }

        var samples = await ReadSamplesAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new IncidentReport
        {
            Incident = stored.Incident,
            Events = events,
            Samples = samples,
            SloLatencyP99Seconds = stored.SloP99Seconds,
            SloAvailability = stored.SloAvailability,
        };
    }

    /// <summary>The incident still open in the database (the oldest, should there be several).</summary>
    internal async Task<Incident?> FindOpenAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"SELECT {IncidentColumns} WHERE i.id = (SELECT i.id FROM widgetify_incidents i WHERE {OldestOpen}) GROUP BY i.id", connection);
        var found = await ReadIncidentsAsync(command, cancellationToken);
        return found.Count == 0 ? null : found[0].Incident;
    }

    /// <summary>Resolves the open incidents that no instance still in them has reported on for <paramref name="liveness"/>:
    /// the instances that saw them stopped (or were stopped with them) before they resolved, and the others recovered.
    /// Joining one would date a new problem back to an old one, and nobody would ever resolve it. Its resolution time
    /// is the last report; what happened after that is unknown, and the timeline says so. In a transaction of its own
    /// under the incident lock.</summary>
    /// <returns>How many were resolved.</returns>
    internal async Task<int> CloseAbandonedAsync(TimeSpan liveness, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await IncidentSchema.LockAsync(connection, transaction, cancellationToken);
        int closed;
        await using (var command = new NpgsqlCommand(
            """
            WITH abandoned AS (
                SELECT i.id, greatest(i.detected_at, coalesce(max(x.seen_at), i.updated_at)) AS last_seen
                  FROM widgetify_incidents i LEFT JOIN widgetify_incident_instances x ON x.incident_id = i.id
                 WHERE i.resolved_at IS NULL
                 GROUP BY i.id
                -- While an instance is still in it, only those instances keep it alive (another one's recent
                -- departure does not); once all have left (a graceful restart), the last departure does, so the
                -- next instance to start re-attaches.
                HAVING coalesce(max(x.seen_at) FILTER (WHERE x.left_at IS NULL), max(x.seen_at), i.updated_at)
                       < clock_timestamp() - $1::interval),
            closed AS (
                UPDATE widgetify_incidents i SET status = 'resolved', resolved_at = a.last_seen, updated_at = clock_timestamp()
                  FROM abandoned a WHERE i.id = a.id
                RETURNING i.id, a.last_seen)
            INSERT INTO widgetify_incident_events (id, incident_id, at, instance, kind, message, "values")
            SELECT gen_random_uuid(), c.id, c.last_seen, 'widgetify', 'Resolved',
                   'Resolved as abandoned: no instance reported on it for ' || extract(epoch FROM $1::interval)::int ||
                   ' s (the instances that saw it stopped before it resolved). It is dated at the last report; what happened after that is unknown.',
                   NULL
              FROM closed c
            """, connection, transaction)
        {
            Parameters = { new() { Value = liveness } },
        })
        {
            closed = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return closed;
    }

    /// <summary>Applies a batch of the outbox in one transaction (<see cref="OutboxBatchWriter"/>), under the incident
    /// lock when it opens, resolves or leaves an incident. Everything is idempotent, so the whole batch can be retried
    /// after a failure, even one after the commit.</summary>
    /// <param name="batch">The writes.</param>
    /// <param name="instance">This instance's name.</param>
    /// <param name="liveness">An instance whose row was not refreshed for this long is presumed gone when deciding
    /// whether a recovery resolves the incident.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    internal async Task<FlushResult> ApplyAsync(OutboxBatch batch, string instance, TimeSpan liveness, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (batch.Ops.Any(op => op is OpenOp or ResolveOp or LeaveOp))
        {
            // Two instances detecting at once must end in one incident; resolving must not race a join.
            await IncidentSchema.LockAsync(connection, transaction, cancellationToken);
        }

        var result = await new OutboxBatchWriter(connection, transaction, instance, liveness).WriteAsync(batch, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>One instance's stored totals for an incident (to carry on counting after a restart).</summary>
    internal async Task<IncidentImpact?> LoadInstanceImpactAsync(Guid id, string instance, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"SELECT {ImpactColumns} FROM widgetify_incident_instances WHERE incident_id = $1 AND instance = $2",
            connection)
        {
            Parameters = { new() { Value = id }, new() { Value = instance } },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return ReadImpact(reader, 0);
    }

    /// <summary>The seven impact columns (<see cref="ImpactColumns"/>) from <paramref name="first"/> on.</summary>
    internal static IncidentImpact ReadImpact(NpgsqlDataReader reader, int first) => new()
    {
        Requests = reader.GetInt64(first),
        Failed = reader.GetInt64(first + 1),
        Shed = reader.GetInt64(first + 2),
        ClientClosed = reader.GetInt64(first + 3),
        Clients = reader.GetInt64(first + 4),
        ClientsAffected = reader.GetInt64(first + 5),
        ClientsCapped = reader.GetBoolean(first + 6),
    };

    /// <summary>Normalizes an id or prefix to lowercase hex without dashes.</summary>
    /// <exception cref="ArgumentException">Fewer than 8 or more than 32 hex digits, or other characters.</exception>
    internal static string NormalizePrefix(string idOrPrefix)
    {
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        var hex = idOrPrefix.Trim().Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        if (hex.Length is < 8 or > 32 || !hex.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException(
                $"'{idOrPrefix}' is not an incident id: give the id or at least its first 8 hex digits (e.g. 0195a3f2).", nameof(idOrPrefix));
        }

        return hex;
    }

    private static async Task<List<StoredIncident>> ReadIncidentsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var result = new List<StoredIncident>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var incident = new Incident
            {
                Id = reader.GetGuid(0),
                Title = reader.GetString(1),
                Status = IncidentSchema.ParseStatus(reader.GetString(2)),
                ImpactStartedAt = reader.GetFieldValue<DateTimeOffset>(3),
                DetectedAt = reader.GetFieldValue<DateTimeOffset>(4),
                MitigatedAt = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                ResolvedAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                DetectedBy = reader.GetString(7),
                DetectionSummary = reader.GetString(8),
                Alerts = reader.GetFieldValue<string[]>(9),
                PostmortemPath = reader.IsDBNull(10) ? null : reader.GetString(10),
                Impact = ReadImpact(reader, 11),
                Instances = reader.GetFieldValue<string[]>(18),
            };
            result.Add(new StoredIncident(incident, reader.GetDouble(19), reader.GetDouble(20)));
        }

        return result;
    }

    private static async Task<List<IncidentSample>> ReadSamplesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken)
    {
        var samples = new List<IncidentSample>();
        await using var command = new NpgsqlCommand(
            """
            SELECT at, instance, requests, bad, shed, p50, p99, served_p99, admission_limit, in_flight, queued, pool_used, share,
                   pending, server_connections, max_connections, db_up, longest_tx_seconds, deadlocks, rollbacks, commits, opens_waited,
                   client_closed
            FROM widgetify_incident_samples WHERE incident_id = $1 ORDER BY at, instance
            """, connection, transaction)
        {
            Parameters = { new() { Value = id } },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            samples.Add(new IncidentSample
            {
                At = reader.GetFieldValue<DateTimeOffset>(0),
                Instance = reader.GetString(1),
                Requests = reader.GetInt64(2),
                Bad = reader.GetInt64(3),
                Shed = reader.GetInt64(4),
                P50 = reader.IsDBNull(5) ? null : reader.GetDouble(5),
                P99 = reader.IsDBNull(6) ? null : reader.GetDouble(6),
                ServedP99 = reader.IsDBNull(7) ? null : reader.GetDouble(7),
                AdmissionLimit = reader.GetDouble(8),
                InFlight = reader.GetInt64(9),
                Queued = reader.GetInt64(10),
                PoolUsed = reader.GetInt64(11),
                Share = reader.GetInt64(12),
                Pending = reader.GetInt64(13),
                ServerConnections = reader.IsDBNull(14) ? null : reader.GetInt64(14),
                MaxConnections = reader.IsDBNull(15) ? null : reader.GetInt64(15),
                DatabaseUp = reader.GetBoolean(16),
                LongestTransactionSeconds = reader.IsDBNull(17) ? null : reader.GetDouble(17),
                Deadlocks = reader.GetInt64(18),
                Rollbacks = reader.GetInt64(19),
                Commits = reader.GetInt64(20),
                OpensWaited = reader.IsDBNull(21) ? reader.GetInt64(13) : reader.GetInt64(21),
                ClientClosed = reader.GetInt64(22),
            });
        }

        return samples;
    }

    private sealed record StoredIncident(Incident Incident, double SloP99Seconds, double SloAvailability);
}
