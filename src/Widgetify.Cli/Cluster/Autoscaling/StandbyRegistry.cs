using Npgsql;

namespace Widgetify.Cli.Cluster.Autoscaling;

/// <summary>
/// The hand-over between a fleet's autoscaler (in whichever instance leads) and its coordinator ('cluster up', which alone
/// can start and stop PostgreSQL servers), in three small tables on the primary:
/// <list type="bullet">
/// <item><c>widgetify_fleet_scaling</c>: one row, the standby count the leader's provider asks for (<c>request_id</c> grows
/// with each ask) and the coordinator's answer to the latest one it finished (<c>handled_id</c>, result, message).</item>
/// <item><c>widgetify_fleet_standbys</c>: the registry the coordinator keeps of the standbys it runs, each <c>serving</c>
/// or <c>leaving</c>; every instance follows it with its read router. A row's <c>id</c> names one incarnation: a standby
/// removed and made again under the same name is another row.</item>
/// <item><c>widgetify_fleet_standby_drains</c>: one row per instance that has taken a leaving standby out of its router and
/// let its reads finish; the coordinator stops the server when every running instance has written one (or a bound passed).</item>
/// <item><c>widgetify_fleet_signals</c>: each instance's last seconds of read-path signals, so that the leader decides on
/// the fleet's (<see cref="FleetSignalSource"/>).</item>
/// </list>
/// Why tables and not signals or files: the instances already hold a connection to the primary, the coordinator owns it, the
/// rows survive any one process's restart, and a polled table needs no new channel. The rows carry no password: an
/// instance reaches a standby with its own credentials for the primary (the standbys are copies of it).
/// </summary>
internal sealed class StandbyRegistry(NpgsqlDataSource dataSource)
{
    internal const string ScalingTable = "widgetify_fleet_scaling";
    internal const string StandbysTable = "widgetify_fleet_standbys";
    internal const string DrainsTable = "widgetify_fleet_standby_drains";
    internal const string SignalsTable = "widgetify_fleet_signals";

    private const string CreateSql = """
        CREATE TABLE IF NOT EXISTS widgetify_fleet_scaling (
            singleton    boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
            desired      integer     NOT NULL CHECK (desired >= 0),
            request_id   bigint      NOT NULL,
            requested_by text        NOT NULL,
            requested_at timestamptz NOT NULL,
            handled_id   bigint      NOT NULL DEFAULT 0,
            succeeded    boolean,
            message      text,
            handled_at   timestamptz);
        CREATE TABLE IF NOT EXISTS widgetify_fleet_standbys (
            id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name          text        NOT NULL UNIQUE,
            host          text        NOT NULL,
            port          integer     NOT NULL,
            state         text        NOT NULL CHECK (state IN ('serving', 'leaving')),
            added_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
            leaving_since timestamptz);
        CREATE TABLE IF NOT EXISTS widgetify_fleet_standby_drains (
            standby_id bigint      NOT NULL REFERENCES widgetify_fleet_standbys (id) ON DELETE CASCADE,
            instance   text        NOT NULL,
            reads_left integer     NOT NULL,
            drained_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (standby_id, instance));
        CREATE TABLE IF NOT EXISTS widgetify_fleet_signals (
            instance   text        PRIMARY KEY,
            updated_at timestamptz NOT NULL,
            seconds    jsonb       NOT NULL);
        -- The registry by its schema and a fixed search_path: the runtime role may create temporary tables, and pg_temp
        -- comes first in a default search_path, so an unqualified name could find a table of its own that says 'leaving'.
        CREATE OR REPLACE FUNCTION widgetify_fleet_drain_of_leaving() RETURNS trigger LANGUAGE plpgsql
            SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM public.widgetify_fleet_standbys WHERE id = NEW.standby_id AND state = 'leaving') THEN
                RAISE EXCEPTION 'standby % is not leaving: only a leaving standby is acknowledged as drained', NEW.standby_id
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE OR REPLACE TRIGGER widgetify_fleet_drain_of_leaving BEFORE INSERT ON widgetify_fleet_standby_drains
            FOR EACH ROW EXECUTE FUNCTION widgetify_fleet_drain_of_leaving();
        """;

    /// <summary>What the instances' runtime role may do, set again at every start (a REVOKE of everything first, so a grant
    /// of an earlier version or by hand does not survive). Rows are written by whoever the table says; what only the
    /// coordinator writes, it writes as the schema's owner:
    /// <list type="bullet">
    /// <item>the registry of standbys: read only. It says where every instance sends its reads and its login; with the
    /// application's credential, a leak or an injection could otherwise point them at another host.</item>
    /// <item>the ask: the leader writes the ask's columns only; the answer (<c>handled_id</c>, <c>succeeded</c>,
    /// <c>message</c>, <c>handled_at</c>) is the coordinator's, and no instance can delete the row.</item>
    /// <item>the drains: an instance adds its acknowledgement of a leaving standby and nothing else; none can change or
    /// delete one (they go with their standby, deleted by the coordinator), and a trigger refuses one for a standby that
    /// is not leaving, so that no acknowledgement can wait in advance for a standby still serving.</item>
    /// <item>the signals: an instance adds its row and rewrites its seconds; it cannot rename or delete a row.</item>
    /// </list>
    /// The instances all log in as one role, so the database cannot tell one from another: an acknowledgement or signals
    /// written under another instance's name cannot be refused here (docs/scaling.md says what that can do).</summary>
    private static string PrivilegesSql(string role) => $"""
        REVOKE ALL ON {ScalingTable}, {StandbysTable}, {DrainsTable}, {SignalsTable} FROM PUBLIC, {role};
        GRANT SELECT ON {ScalingTable}, {StandbysTable}, {DrainsTable}, {SignalsTable} TO {role};
        GRANT INSERT (desired, request_id, requested_by, requested_at), UPDATE (desired, request_id, requested_by, requested_at)
            ON {ScalingTable} TO {role};
        GRANT INSERT ON {DrainsTable} TO {role};
        GRANT INSERT, UPDATE (updated_at, seconds) ON {SignalsTable} TO {role};
        """;

    /// <summary>Creates the tables unless they exist and sets what <paramref name="runtimeRole"/> may do with them
    /// (<see cref="PrivilegesSql"/>); run by the coordinator as the schema's owner at every start.</summary>
    public static async Task EnsureCreatedAsync(string ownerConnectionString, string runtimeRole, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(cancellationToken);
        var role = "\"" + runtimeRole.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await using var command = new NpgsqlCommand(CreateSql + PrivilegesSql(role), connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A fresh start: no request of an earlier fleet is acted on, and the registry lists what runs now.</summary>
    public async Task ResetAsync(IEnumerable<RegisteredStandby> running, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var clear = new NpgsqlCommand($"DELETE FROM {ScalingTable}; DELETE FROM {StandbysTable};", connection, transaction))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var standby in running)
        {
            await InsertAsync(connection, transaction, standby.Name, standby.Host, standby.Port, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The leader's ask: bring the standbys to <paramref name="desired"/>. Supersedes any earlier ask.</summary>
    /// <returns>The ask's id: its answer is the row once <c>handled_id</c> reaches it.</returns>
    public async Task<long> RequestAsync(int desired, string requestedBy, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO {ScalingTable} (desired, request_id, requested_by, requested_at) VALUES ($1, 1, $2, clock_timestamp())
            ON CONFLICT (singleton) DO UPDATE SET desired = EXCLUDED.desired, request_id = {ScalingTable}.request_id + 1,
                requested_by = EXCLUDED.requested_by, requested_at = EXCLUDED.requested_at
            RETURNING request_id
            """);
        command.Parameters.AddWithValue(desired);
        command.Parameters.AddWithValue(requestedBy);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The ask and the coordinator's latest answer; null when nothing was ever asked in this fleet.</summary>
    public async Task<ScalingRequest?> ReadRequestAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT desired, request_id, requested_by, handled_id, succeeded, message FROM {ScalingTable}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ScalingRequest(reader.GetInt32(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetBoolean(4), reader.IsDBNull(5) ? null : reader.GetString(5))
            : null;
    }

    /// <summary>The coordinator's answer to ask <paramref name="requestId"/> (a later ask stays pending).</summary>
    public async Task CompleteAsync(long requestId, bool succeeded, string message, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"UPDATE {ScalingTable} SET handled_id = $1, succeeded = $2, message = $3, handled_at = clock_timestamp() WHERE handled_id < $1");
        command.Parameters.AddWithValue(requestId);
        command.Parameters.AddWithValue(succeeded);
        command.Parameters.AddWithValue(message);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Every registered standby with the instances that have drained it, by name.</summary>
    public async Task<IReadOnlyList<RegisteredStandby>> ReadStandbysAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT s.id, s.name, s.host, s.port, s.state, s.leaving_since,
                   coalesce(array_agg(d.instance) FILTER (WHERE d.instance IS NOT NULL), ARRAY[]::text[])
            FROM {StandbysTable} s LEFT JOIN {DrainsTable} d ON d.standby_id = s.id
            GROUP BY s.id ORDER BY s.name
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var standbys = new List<RegisteredStandby>();
        while (await reader.ReadAsync(cancellationToken))
        {
            standbys.Add(new RegisteredStandby(
                reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4) == "leaving" ? StandbyRotation.Leaving : StandbyRotation.Serving)
            {
                Id = reader.GetInt64(0),
                LeavingSince = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                DrainedBy = new HashSet<string>(reader.GetFieldValue<string[]>(6), StringComparer.Ordinal),
            });
        }

        return standbys;
    }

    /// <summary>Registers a standby that now streams, serving; one of that name (an earlier incarnation) is replaced.</summary>
    public async Task AddAsync(string name, string host, int port, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = new NpgsqlCommand($"DELETE FROM {StandbysTable} WHERE name = $1", connection, transaction))
        {
            delete.Parameters.AddWithValue(name);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertAsync(connection, transaction, name, host, port, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Marks a standby leaving: every instance drains it and says so; the time is the coordinator's.</summary>
    public async Task MarkLeavingAsync(string name, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"UPDATE {StandbysTable} SET state = 'leaving', leaving_since = $2 WHERE name = $1 AND state = 'serving'");
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(since);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Forgets a standby (its drains go with it).</summary>
    public async Task RemoveAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"DELETE FROM {StandbysTable} WHERE name = $1");
        command.Parameters.AddWithValue(name);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Moves a registered standby to another port (restarted or made again elsewhere by the supervisor).</summary>
    public async Task MoveAsync(string name, int port, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"UPDATE {StandbysTable} SET port = $2 WHERE name = $1");
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(port);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>An instance's word that its router no longer uses this incarnation of a standby. Nothing when the
    /// incarnation is gone already (the coordinator stopped waiting).</summary>
    public async Task AckDrainedAsync(long standbyId, string instance, int readsLeft, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO {DrainsTable} (standby_id, instance, reads_left)
            SELECT id, $2, $3 FROM {StandbysTable} WHERE id = $1 AND state = 'leaving'
            ON CONFLICT (standby_id, instance) DO NOTHING
            """);
        command.Parameters.AddWithValue(standbyId);
        command.Parameters.AddWithValue(instance);
        command.Parameters.AddWithValue(readsLeft);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string name, string host, int port, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {StandbysTable} (name, host, port, state) VALUES ($1, $2, $3, 'serving')", connection, transaction);
        insert.Parameters.AddWithValue(name);
        insert.Parameters.AddWithValue(host);
        insert.Parameters.AddWithValue(port);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Whether a registered standby takes reads or is on its way out.</summary>
internal enum StandbyRotation
{
    /// <summary>Every instance reads from it.</summary>
    Serving,

    /// <summary>Every instance drains it; the coordinator stops it once they all have (or a bound passed).</summary>
    Leaving,
}

/// <summary>One standby of the registry: where it listens (no credentials) and its rotation.</summary>
internal sealed record RegisteredStandby(string Name, string Host, int Port, StandbyRotation Rotation)
{
    /// <summary>This incarnation's id (0 for one not stored yet).</summary>
    public long Id { get; init; }

    /// <summary>When the coordinator marked it leaving, by its clock.</summary>
    public DateTimeOffset? LeavingSince { get; init; }

    /// <summary>The instances that have drained it.</summary>
    public IReadOnlySet<string> DrainedBy { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The password-free connection string an instance completes with its own credentials; also the endpoint the
    /// fleet's provider reports, built the same way so that the router sees one string for one standby.</summary>
    public string EndpointConnectionString => new NpgsqlConnectionStringBuilder { Host = Host, Port = Port }.ConnectionString;
}

/// <summary>The leader's latest ask and the coordinator's answer to the latest ask it finished.</summary>
internal sealed record ScalingRequest(int Desired, long RequestId, string RequestedBy, long HandledId, bool? Succeeded, string? Message)
{
    /// <summary>Asked and not answered yet.</summary>
    public bool Pending => RequestId > HandledId;
}
