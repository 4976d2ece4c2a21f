using System.Text.RegularExpressions;
using Npgsql;

namespace Widgetify.Incidents.Persistence;

/// <summary>The incident tables every instance on the database shares.</summary>
internal static partial class IncidentSchema
{
    /// <summary>The advisory lock key for schema creation, opening, joining and resolving ("wincid" in ASCII); it
    /// differs from the migrations' and the lease table's keys.</summary>
    internal const long AdvisoryLockKey = 0x77696E636964;

    // widgetify_incident_instances holds each instance's absolute impact totals: an upsert of absolute numbers is
    // idempotent, so a flush retried after a commit whose acknowledgement was lost counts nothing twice (deltas would).
    internal const string CreateSql = """
        CREATE TABLE IF NOT EXISTS widgetify_incidents (
            id                uuid        PRIMARY KEY,
            title             text        NOT NULL,
            status            text        NOT NULL CHECK (status IN ('open', 'mitigated', 'resolved')),
            impact_started_at timestamptz NOT NULL,
            detected_at       timestamptz NOT NULL,
            mitigated_at      timestamptz,
            resolved_at       timestamptz,
            detected_by       text        NOT NULL,
            detection_summary text        NOT NULL,
            alerts            text[]      NOT NULL DEFAULT '{}',
            slo_p99_seconds   double precision NOT NULL,
            slo_availability  double precision NOT NULL,
            postmortem_path   text,
            opened_by         text        NOT NULL,
            updated_at        timestamptz NOT NULL DEFAULT clock_timestamp());
        CREATE INDEX IF NOT EXISTS widgetify_incidents_open ON widgetify_incidents (detected_at) WHERE resolved_at IS NULL;
        CREATE INDEX IF NOT EXISTS widgetify_incidents_detected ON widgetify_incidents (detected_at DESC);
        CREATE TABLE IF NOT EXISTS widgetify_incident_instances (
            incident_id      uuid        NOT NULL REFERENCES widgetify_incidents (id) ON DELETE CASCADE,
            instance         text        NOT NULL,
            joined_at        timestamptz NOT NULL,
            left_at          timestamptz,
            seen_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
            requests         bigint      NOT NULL DEFAULT 0,
            failed           bigint      NOT NULL DEFAULT 0,
            shed             bigint      NOT NULL DEFAULT 0,
            clients          bigint      NOT NULL DEFAULT 0,
            clients_affected bigint      NOT NULL DEFAULT 0,
            clients_capped   boolean     NOT NULL DEFAULT false,
            PRIMARY KEY (incident_id, instance));
        CREATE TABLE IF NOT EXISTS widgetify_incident_events (
            id          uuid        PRIMARY KEY,
            seq         bigserial   NOT NULL,
            incident_id uuid        NOT NULL REFERENCES widgetify_incidents (id) ON DELETE CASCADE,
            at          timestamptz NOT NULL,
            instance    text        NOT NULL,
            kind        text        NOT NULL,
            message     text        NOT NULL,
            "values"    jsonb);
        CREATE INDEX IF NOT EXISTS widgetify_incident_events_incident ON widgetify_incident_events (incident_id, at);
        CREATE TABLE IF NOT EXISTS widgetify_incident_samples (
            incident_id        uuid        NOT NULL REFERENCES widgetify_incidents (id) ON DELETE CASCADE,
            at                 timestamptz NOT NULL,
            instance           text        NOT NULL,
            requests           bigint      NOT NULL,
            bad                bigint      NOT NULL,
            shed               bigint      NOT NULL,
            p50                double precision,
            p99                double precision,
            served_p99         double precision,
            admission_limit    double precision NOT NULL,
            in_flight          bigint      NOT NULL,
            queued             bigint      NOT NULL,
            pool_used          bigint      NOT NULL,
            share              bigint      NOT NULL,
            pending            bigint      NOT NULL,
            server_connections bigint,
            max_connections    bigint,
            db_up              boolean     NOT NULL,
            longest_tx_seconds double precision,
            deadlocks          bigint      NOT NULL,
            rollbacks          bigint      NOT NULL,
            commits            bigint      NOT NULL,
            PRIMARY KEY (incident_id, instance, at));
        -- Null in the rows stored before it existed: those knew only the pending gauge.
        ALTER TABLE widgetify_incident_samples ADD COLUMN IF NOT EXISTS opens_waited bigint;
        -- Requests whose clients gave up (499), a class of their own beside failed and shed. Zero in the rows stored
        -- before they existed, which did not count them (PostgreSQL 11+ adds a constant default without a rewrite).
        ALTER TABLE widgetify_incident_instances ADD COLUMN IF NOT EXISTS client_closed bigint NOT NULL DEFAULT 0;
        ALTER TABLE widgetify_incident_samples ADD COLUMN IF NOT EXISTS client_closed bigint NOT NULL DEFAULT 0;
        -- The local ids of the incidents that joined this one (detected elsewhere first): an open delivered again (a
        -- lost commit, a spool delivered twice) finds the incident it joined instead of joining or opening another.
        ALTER TABLE widgetify_incidents ADD COLUMN IF NOT EXISTS joined_ids uuid[] NOT NULL DEFAULT '{}';
        """;

    // The columns CreateSql adds to tables of earlier releases, read from its ALTER TABLE statements so that a column added
    // there is checked here without a second list to keep in step. CreateSql runs in one transaction and these come last:
    // when they are all there, so is everything before them.
    private static readonly (string Table, string Column)[] AddedColumns =
    [
        .. AddedColumnPattern().Matches(CreateSql).Select(m => (m.Groups["table"].Value, m.Groups["column"].Value)),
    ];

    /// <summary>Whether the tables and every column <see cref="CreateSql"/> adds are there, read from the catalog without
    /// a lock on the tables: a start on a current schema then runs no DDL.</summary>
    internal static async Task<bool> IsCurrentAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // to_regclass is null for a missing table (and resolves the name by the search_path, as the DDL does).
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*) FROM unnest($1::text[], $2::text[]) AS wanted (tbl, col)
            JOIN pg_attribute a ON a.attrelid = to_regclass(wanted.tbl) AND a.attname = wanted.col AND NOT a.attisdropped
            """, connection)
        {
            Parameters =
            {
                new() { Value = AddedColumns.Select(c => c.Table).ToArray() },
                new() { Value = AddedColumns.Select(c => c.Column).ToArray() },
            },
        };
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == AddedColumns.Length;
    }

    [GeneratedRegex(@"ALTER TABLE (?<table>\w+) ADD COLUMN IF NOT EXISTS (?<column>\w+)")]
    private static partial Regex AddedColumnPattern();

    /// <summary>Takes the incidents' transaction-scoped advisory lock (<see cref="AdvisoryLockKey"/>).</summary>
    internal static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // The store writes on the instance's single control connection, which the database sampler and the lease
        // heartbeat also need: waiting long for a peer's lock would starve them (and fire DatabaseDown). Give up after
        // 2 s instead; the outbox keeps everything for the next flush.
        await using (var timeout = new NpgsqlCommand("SET LOCAL lock_timeout = '2s'", connection, transaction))
        {
            await timeout.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction)
        {
            Parameters = { new() { Value = AdvisoryLockKey } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static string ToDatabase(this IncidentStatus status) => status switch
    {
        IncidentStatus.Open => "open",
        IncidentStatus.Mitigated => "mitigated",
        _ => "resolved",
    };

    internal static IncidentStatus ParseStatus(string value) => value switch
    {
        "open" => IncidentStatus.Open,
        "mitigated" => IncidentStatus.Mitigated,
        _ => IncidentStatus.Resolved,
    };
}
