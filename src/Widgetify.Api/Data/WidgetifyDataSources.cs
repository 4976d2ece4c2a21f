using Microsoft.Extensions.Options;
using Npgsql;

namespace Widgetify.Api.Data;

/// <summary>One <see cref="NpgsqlDataSource"/> per database role. Today both roles are the primary;
/// read replicas will give <see cref="Reads"/> a pool of its own without touching the callers.</summary>
internal sealed class WidgetifyDataSources : IAsyncDisposable
{
    public WidgetifyDataSources(IOptions<WidgetifyOptions> options, ILoggerFactory loggerFactory)
    {
        var database = options.Value.Database;
        if (string.IsNullOrWhiteSpace(database.ConnectionString))
        {
            throw new InvalidOperationException(
                "No database configured: set 'Widgetify:Database:ConnectionString' (environment variable " +
                "Widgetify__Database__ConnectionString), or run './widgetify up' to use the embedded PostgreSQL.");
        }

        var builder = new NpgsqlDataSourceBuilder(BuildConnectionString(database));
        builder.UseLoggerFactory(loggerFactory);
        Primary = builder.Build();
    }

    /// <summary>Reads and writes that must see their own writes.</summary>
    public NpgsqlDataSource Primary { get; }

    /// <summary>Reads that tolerate replication lag (the public embed path).</summary>
    public NpgsqlDataSource Reads => Primary;

    internal static string BuildConnectionString(DatabaseOptions database)
    {
        var csb = new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Timeout = database.ConnectTimeoutSeconds,
            CommandTimeout = database.CommandTimeoutSeconds,
        };
        if (string.IsNullOrEmpty(csb.ApplicationName))
        {
            csb.ApplicationName = database.ApplicationName;
        }

        if (database.MaxPoolSize is { } max)
        {
            csb.MaxPoolSize = max;
        }

        return csb.ConnectionString;
    }

    public ValueTask DisposeAsync() => Primary.DisposeAsync();
}
