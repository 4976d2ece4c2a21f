using Npgsql;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>A scaling decision as a leader stores it. <paramref name="Direction"/> is the table's word (<c>out</c>,
/// <c>in</c> or <c>replace</c>); it was taken <paramref name="Ago"/> before the database's clock and, unless
/// <c>pending</c>, ended a second and a half later.</summary>
public sealed record DecisionRow(TimeSpan Ago, string Direction, int From, int To, string Result, string Reason, string? Message = null);

/// <summary>Writes scaling decisions straight into the autoscaler's table, as the fleet's leader would have:
/// <c>/api/scaling</c> and the dashboard show the fleet's decisions, whichever instance took them, and a test need not
/// saturate a service for minutes to get some. The table is there: the service creates it with its migrations.</summary>
public static class ScalingDecisionRows
{
    public const string Instance = "test/1";

    public static async Task InsertAsync(string connectionString, params DecisionRow[] rows)
    {
        await using var dataSource = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "test-decisions" }.ConnectionString);
        foreach (var row in rows)
        {
            await using var command = dataSource.CreateCommand("""
                INSERT INTO widgetify_scaling_decisions (at, instance, direction, from_replicas, to_replicas, reason, result, message, completed_at)
                SELECT t, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7 = 'pending' THEN NULL ELSE t + interval '1.5 seconds' END
                FROM (SELECT now() - $1::interval AS t) AS taken
                """);
            foreach (var value in (object[])[row.Ago, Instance, row.Direction, row.From, row.To, row.Reason, row.Result, (object?)row.Message ?? DBNull.Value])
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            await command.ExecuteNonQueryAsync();
        }
    }
}
