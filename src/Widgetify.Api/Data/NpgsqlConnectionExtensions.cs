using Npgsql;

namespace Widgetify.Api.Data;

internal static class NpgsqlConnectionExtensions
{
    /// <summary>A command on an already open connection (the governed pool hands out connections, not commands).</summary>
    public static NpgsqlCommand CreateCommand(this NpgsqlConnection connection, string sql) => new(sql, connection);
}
