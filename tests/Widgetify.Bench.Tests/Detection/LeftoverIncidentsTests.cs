using Npgsql;
using Widgetify.Bench.Detection;

namespace Widgetify.Bench.Tests.Detection;

/// <summary>Against a real PostgreSQL, with widgetify_incidents' columns as Widgetify.Reliability's IncidentSchema
/// creates them (the ones the bench touches).</summary>
public sealed class LeftoverIncidentsTests : IAsyncLifetime
{
    private TestPostgres postgres = null!;

    public async Task InitializeAsync() => postgres = await TestPostgres.StartAsync();

    public async Task DisposeAsync() => await postgres.DisposeAsync();

    [Fact]
    public async Task CloseAsync_NoIncidentTableYet_ZeroAndNothingCreated()
    {
        var closed = await LeftoverIncidents.CloseAsync(postgres.ConnectionString, CancellationToken.None);

        closed.ShouldBe(0);
        (await ScalarAsync<bool>("SELECT to_regclass('widgetify_incidents') IS NULL")).ShouldBeTrue();
    }

    [Fact]
    public async Task CloseAsync_TwoOpenOneResolved_OpenOnesResolvedResolvedOneUntouched()
    {
        await ExecuteAsync("""
            CREATE TABLE widgetify_incidents (
                id uuid PRIMARY KEY, title text NOT NULL,
                status text NOT NULL CHECK (status IN ('open', 'mitigated', 'resolved')),
                detected_at timestamptz NOT NULL, mitigated_at timestamptz, resolved_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
            INSERT INTO widgetify_incidents (id, title, status, detected_at, resolved_at) VALUES
                ('019aa690-0000-7000-8000-000000000001', 'old', 'resolved', '2026-11-21 09:40Z', '2026-11-21 09:41Z'),
                ('019aa690-0000-7000-8000-000000000002', 'capacity ramp', 'open', '2026-11-21 09:50Z', NULL),
                ('019aa690-0000-7000-8000-000000000003', 'configuration 1', 'mitigated', '2026-11-21 09:55Z', NULL);
            """);

        var closed = await LeftoverIncidents.CloseAsync(postgres.ConnectionString, CancellationToken.None);

        closed.ShouldBe(2);
        (await ScalarAsync<long>("SELECT count(*) FROM widgetify_incidents WHERE status = 'resolved' AND resolved_at IS NOT NULL")).ShouldBe(3);
        (await ScalarAsync<DateTime>("SELECT resolved_at FROM widgetify_incidents WHERE title = 'old'"))
            .ShouldBe(new DateTime(2026, 11, 21, 9, 41, 0, DateTimeKind.Utc));
        (await LeftoverIncidents.CloseAsync(postgres.ConnectionString, CancellationToken.None)).ShouldBe(0);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
