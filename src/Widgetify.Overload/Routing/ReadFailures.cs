using System.Net.Sockets;
using Npgsql;

namespace Widgetify.Overload.Routing;

/// <summary>Which failures of a read on a standby are the standby's, not the read's: those are retried once on
/// another server (reads are idempotent), and those that show the server gone take it out of rotation at once rather
/// than at the next check.</summary>
internal static class ReadFailures
{
    /// <summary>True when another server may well succeed with the same read.</summary>
    public static bool IsRetryable(Exception exception) => exception switch
    {
        // Recovery conflict: replay cancelled the query (SQLSTATE 40001 on a standby), another standby is unaffected.
        PostgresException { SqlState: PostgresErrorCodes.SerializationFailure } => true,
        PostgresException postgres => IsServerGone(postgres) || postgres.SqlState == PostgresErrorCodes.TooManyConnections,
        NpgsqlException npgsql => npgsql.InnerException is SocketException or IOException or TimeoutException || npgsql.IsTransient,
        _ => false,
    };

    /// <summary>True when the failure says the server is down or going down.</summary>
    public static bool IsServerGone(Exception exception) => exception switch
    {
        PostgresException postgres => IsServerGone(postgres),
        NpgsqlException npgsql => npgsql.InnerException is SocketException or IOException,
        _ => false,
    };

    private static bool IsServerGone(PostgresException exception) =>
        exception.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow;
}
