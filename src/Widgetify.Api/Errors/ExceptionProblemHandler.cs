using System.Globalization;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Errors;

/// <summary>Turns exceptions that reach the pipeline into problems: an unreachable or overloaded database is
/// a 503 with Retry-After (the client should come back), a malformed request a 4xx; only bugs are 500s.</summary>
internal sealed partial class ExceptionProblemHandler(ILogger<ExceptionProblemHandler> logger, AdmissionController admission)
    : IExceptionHandler
{
    /// <summary>Seconds a client is asked to wait at least before retrying when the database is unavailable; admission's
    /// jitter comes on top, so clients failed together by an outage do not all come back in the second the database does.</summary>
    internal static readonly TimeSpan DatabaseRetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away, whatever the exception says (a cancelled command may surface as a PostgreSQL error):
            // nobody reads an answer, and UseClientClosedStatus records the 499.
            return true;
        }

        if (exception is BadHttpRequestException bad)
        {
            var title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request";
            await Problems.Write(httpContext, bad.StatusCode, title, bad.Message);
            return true;
        }

        switch (Classify(exception))
        {
            case DatabaseFailure.Unavailable:
                LogDatabaseUnavailable(logger, httpContext.Request.Path, exception.Message);
                var retryAfter = (int)admission.NextRetryAfter(DatabaseRetryAfter).TotalSeconds;
                httpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Problems.Write(httpContext, StatusCodes.Status503ServiceUnavailable, "Database unavailable",
                    $"The database could not serve this request ({exception.Message}). Retry after {retryAfter} s.");
                return true;
            case DatabaseFailure.InvalidData:
                await Problems.Write(httpContext, StatusCodes.Status400BadRequest, "Invalid data",
                    $"The database rejected a value in the request: {((PostgresException)exception).MessageText}.");
                return true;
            default:
                return false; // a bug: the default handler answers a 500 ProblemDetails and logs it
        }
    }

    internal static DatabaseFailure Classify(Exception exception)
    {
        if (exception is PostgresException postgres)
        {
            return postgres.SqlState switch
            {
                // 08: connection exception; 53: insufficient resources (too many connections, disk full);
                // 57P: operator intervention (shutdown, cannot connect now); 40001/40P01: serialization failure/deadlock.
                var s when s.StartsWith("08", StringComparison.Ordinal) || s.StartsWith("53", StringComparison.Ordinal)
                    || s.StartsWith("57P", StringComparison.Ordinal) || s is "40001" or "40P01" => DatabaseFailure.Unavailable,
                // 22: data exception (e.g. a NUL character in text) that validation let through.
                var s when s.StartsWith("22", StringComparison.Ordinal) => DatabaseFailure.InvalidData,
                _ => DatabaseFailure.None,
            };
        }

        return exception switch
        {
            NpgsqlException => DatabaseFailure.Unavailable, // connect refused, pool timeout, broken connection
            TimeoutException or SocketException => DatabaseFailure.Unavailable,
            _ when exception.InnerException is { } inner => Classify(inner),
            _ => DatabaseFailure.None,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable while serving {Path}: {Reason}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, PathString path, string reason);

    internal enum DatabaseFailure
    {
        None,
        Unavailable,
        InvalidData,
    }
}
