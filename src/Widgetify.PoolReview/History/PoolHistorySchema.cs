using Npgsql;

namespace Widgetify.PoolReview.History;

/// <summary>The table <c>widgetify_pool_minutes</c>, shared by every instance on the database: one row per instance,
/// server and minute. Created by whoever uses it first (the recorder's first write, or a read), so neither depends on
/// the service's migrations having run.</summary>
internal sealed class PoolHistorySchema(NpgsqlDataSource dataSource)
{
    public const string Table = "widgetify_pool_minutes";

    // The key makes a minute's write idempotent (a flush retried after a lost commit, a restarted instance of the same
    // name); the index on minute serves the hourly trim and reads of a time range over every instance.
    private const string CreateSql = """
        CREATE TABLE IF NOT EXISTS widgetify_pool_minutes (
            instance                 text             NOT NULL,
            server                   text             NOT NULL,
            minute                   timestamptz      NOT NULL,
            seconds_measured         double precision NOT NULL,
            peak_in_use              integer          NOT NULL,
            peak_waiting             integer          NOT NULL,
            share                    integer          NOT NULL,
            opens                    bigint           NOT NULL,
            acquire_wait_p50_seconds double precision,
            acquire_wait_p99_seconds double precision,
            hold_time_p50_seconds    double precision,
            hold_time_p99_seconds    double precision,
            timeouts                 bigint,
            requests                 bigint,
            PRIMARY KEY (instance, server, minute));
        CREATE INDEX IF NOT EXISTS widgetify_pool_minutes_minute ON widgetify_pool_minutes (minute);
        """;

    private readonly TableCreation creation = new(dataSource, CreateSql);

    /// <summary>Creates the table unless this process already saw it (<see cref="TableCreation"/>).</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => creation.EnsureCreatedAsync(cancellationToken);
}
