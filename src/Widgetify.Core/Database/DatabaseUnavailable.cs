using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using Npgsql;

namespace Widgetify.Core.Database;

/// <summary>Which failures mean that the database is away: stopped, restarting, unreachable, refusing or out of
/// connections, out of disk. That is an expected condition for a service on PostgreSQL, and a log names it in one line
/// with its reason and what happens next; a stack trace would only bury that line. Any other failure is unexpected
/// (a bug, a missing table, a permission) and is logged with its exception.</summary>
public static class DatabaseUnavailable
{
    /// <summary>Whether <paramref name="exception"/> says the database cannot be reached or cannot take work now.</summary>
    /// <param name="exception">What a database call threw.</param>
    /// <param name="reason">When true, one line for the log: the server's SQLSTATE and message, or the connection error
    /// (e.g. "Failed to connect to 127.0.0.1:5432: Connection refused").</param>
    /// <returns>True for an expected outage; false for anything else.</returns>
    public static bool Is(Exception exception, [NotNullWhen(true)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(exception);
        reason = exception switch
        {
            PostgresException postgres when IsOutage(postgres.SqlState) => $"{postgres.SqlState}: {postgres.MessageText}",
            PostgresException => null,
            // Npgsql's own errors are about the connection (refused, broken, timed out, pool exhausted), with the
            // socket or I/O error as the inner exception; the message alone says nothing of where it went.
            NpgsqlException npgsql when npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException =>
                npgsql.InnerException is { } inner ? $"{OneLine(npgsql.Message)}: {OneLine(inner.Message)}" : OneLine(npgsql.Message),
            SocketException or TimeoutException => OneLine(exception.Message),
            _ => null,
        };
        return reason is not null;
    }

    /// <summary>08 connection exception, 53 insufficient resources (too many connections, disk full, out of memory),
    /// 57P01-57P05 operator intervention (shutdown, crash, cannot connect now, idle session timeout).</summary>
    private static bool IsOutage(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal)
        || sqlState.StartsWith("57P", StringComparison.Ordinal);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
