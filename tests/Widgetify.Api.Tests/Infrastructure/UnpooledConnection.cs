using Npgsql;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>A connection of its own, outside every pool, named so that <c>pg_stat_activity</c> tells it apart: the
/// tests' lock holders and observers must not borrow a connection the service under test could be waiting for.</summary>
internal static class UnpooledConnection
{
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, string applicationName)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = applicationName,
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
