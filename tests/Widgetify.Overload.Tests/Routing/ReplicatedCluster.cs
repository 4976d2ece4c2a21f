using Npgsql;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Overload.Tests.Routing;

/// <summary>A real primary with two real streaming standbys, shared by the routing tests. Each test leaves them as
/// it found them: replay resumed, both running.</summary>
public sealed class ReplicatedCluster : IAsyncLifetime, IAsyncDisposable
{
    private TestPostgres? primary;
    private LocalStandbys? standbys;

    public TestPostgres Primary => primary ?? throw new InvalidOperationException("Fixture not started.");

    public LocalStandbys Standbys => standbys ?? throw new InvalidOperationException("Fixture not started.");

    public PostgresStandby Standby(int index) => Standbys.Standbys[index];

    public async Task InitializeAsync()
    {
        primary = await TestPostgres.StartAsync(maxConnections: 40);
        standbys = new LocalStandbys(primary.Cluster);
        var outcome = await standbys.EnsureAsync(2);
        if (outcome.Failures.Count > 0)
        {
            throw new InvalidOperationException("Standbys did not start: " + string.Join("; ", outcome.Failures.Select(f => f.Reason)));
        }

        await ExecuteAsync(Primary.MigrationConnectionString, "CREATE TABLE IF NOT EXISTS routed (id int PRIMARY KEY, v text)");
        await WaitForReplayAsync();
    }

    public async Task DisposeAsync()
    {
        if (standbys is not null)
        {
            await standbys.DisposeAsync();
        }

        if (primary is not null)
        {
            await primary.DisposeAsync();
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    /// <summary>Waits until both standbys have replayed everything the primary has written so far.</summary>
    public async Task WaitForReplayAsync()
    {
        var target = await ScalarAsync<NpgsqlTypes.NpgsqlLogSequenceNumber>(Primary.ConnectionString, "SELECT pg_current_wal_insert_lsn()");
        foreach (var standby in Standbys.Standbys)
        {
            NpgsqlTypes.NpgsqlLogSequenceNumber replayed = default;
            await BoundedWait.UntilAsync(
                async () => (replayed = await ScalarAsync<NpgsqlTypes.NpgsqlLogSequenceNumber>(standby.AppConnectionString, "SELECT pg_last_wal_replay_lsn()")) >= target,
                () => $"{standby.Name} at {replayed}, primary at {target}", $"{standby.Name} replays the primary's writes");
        }
    }

    public static Task PauseReplayAsync(PostgresStandby standby) => ExecuteAsync(standby.AdminConnectionString, "SELECT pg_wal_replay_pause()");

    public static Task ResumeReplayAsync(PostgresStandby standby) => ExecuteAsync(standby.AdminConnectionString, "SELECT pg_wal_replay_resume()");

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(Unpooled(connectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(Unpooled(connectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
}
