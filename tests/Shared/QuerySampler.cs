using Npgsql;

namespace Widgetify.Testing;

/// <summary>Samples what PostgreSQL reports (pg_stat_activity, a table) while a test runs, to catch a peak that
/// no end state shows.</summary>
public static class QuerySampler
{
    /// <summary>Runs the scalar query <paramref name="sql"/> on one connection until <paramref name="stop"/>, at
    /// least once, and returns the largest result. Connect as the superuser: its reserved slots let it in even
    /// when the server is full.</summary>
    /// <param name="connectionString">Where to sample.</param>
    /// <param name="sql">A query returning one bigint (such as <c>count(*)</c>); parameters are <c>$1</c>, <c>$2</c>, ...</param>
    /// <param name="parameters">Values for the query's positional parameters.</param>
    /// <param name="stop">Ends the sampling; the sample under way completes rather than throws.</param>
    /// <param name="interval">A pause between samples; none by default.</param>
    public static async Task<long> SampleMaxAsync(
        string connectionString, string sql, object[] parameters, CancellationToken stop, TimeSpan interval = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        long max = 0;
        do
        {
            // Not cancelled by stop: the last sample must complete, not throw.
            max = Math.Max(max, (long)(await command.ExecuteScalarAsync(CancellationToken.None))!);
            if (interval > TimeSpan.Zero)
            {
                await Task.Delay(interval, CancellationToken.None);
            }
        }
        while (!stop.IsCancellationRequested);

        return max;
    }
}
