using Npgsql;

namespace Widgetify.Scaling;

/// <summary>The autoscaler's tables, shared by every instance on the database: the leader's lease (one row) and the
/// decisions. The autoscaler creates them itself, as the connection budget and the incidents do with theirs, so it
/// works on a database whose migrations predate it.</summary>
internal static class ScalingSchema
{
    internal const string LeaderTable = "widgetify_scaling_leader";
    internal const string DecisionsTable = "widgetify_scaling_decisions";

    // The leader table's key is a boolean that can only be true: the table holds one row or none, by construction.
    private const string CreateSql = """
        CREATE TABLE IF NOT EXISTS widgetify_scaling_leader (
            singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
            holder_id   uuid        NOT NULL,
            holder_name text        NOT NULL,
            acquired_at timestamptz NOT NULL,
            renewed_at  timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS widgetify_scaling_decisions (
            id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at             timestamptz NOT NULL,
            instance       text        NOT NULL,
            direction      text        NOT NULL CHECK (direction IN ('out', 'in', 'replace')),
            from_replicas  integer     NOT NULL,
            to_replicas    integer     NOT NULL,
            reason         text        NOT NULL,
            result         text        NOT NULL CHECK (result IN ('pending', 'succeeded', 'failed')),
            message        text,
            completed_at   timestamptz,
            replicas_after integer);
        CREATE INDEX IF NOT EXISTS widgetify_scaling_decisions_at ON widgetify_scaling_decisions (at DESC);
        """;

    /// <summary>Creates the tables unless they exist. Two instances starting together may both try; PostgreSQL's
    /// CREATE ... IF NOT EXISTS can then fail in the catalog for the one that loses, whose tables then exist all the same,
    /// so that failure is retried once rather than serialized with a lock on every start.</summary>
    public static async Task EnsureCreatedAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var command = dataSource.CreateCommand(CreateSql);
                await command.ExecuteNonQueryAsync(cancellationToken);
                return;
            }
            catch (PostgresException ex) when (attempt == 1 && ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateObject)
            {
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // A runtime role with row privileges only: the schema's owner created the tables with the migrations
                // (ScalingDecisionLog.CreateTablesAsync), and even CREATE ... IF NOT EXISTS needs CREATE on the schema.
                return;
            }
        }
    }
}
