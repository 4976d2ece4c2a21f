using System.Globalization;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using Widgetify.Observability.Database;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Errors;

/// <summary>Turns exceptions that reach the pipeline into problems: an unreachable or overloaded database is
/// a 503 with Retry-After (the client should come back), a malformed request a 4xx; only bugs are 500s. A 503 says
/// what happened and what to do in the client's terms; the exception, which names hosts, ports and settings, goes to
/// the log. A failed write that PostgreSQL refused is counted (<see cref="DatabaseWriteFailures"/>).</summary>
internal sealed partial class ExceptionProblemHandler(
    ILogger<ExceptionProblemHandler> logger, AdmissionController admission, DatabaseWriteFailures writeFailures)
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

        if (exception is BadHttpRequestException binding && BindingFailures.TryDescribe(binding, out var field, out var message))
        {
            await Problems.WriteValidation(httpContext, field, message);
            return true;
        }

        if (exception is BadHttpRequestException bad)
        {
            if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                // The server's words would name its limit; the endpoint's documented one is on the request (BodyLimits).
                await Problems.Write(httpContext, bad.StatusCode, "Request body too large", BodyLimits.Describe(httpContext));
                return true;
            }

            if (bad.StatusCode == StatusCodes.Status408RequestTimeout)
            {
                // Kestrel's words name its setting (MinRequestBodyDataRate); the client needs to know what to send.
                await Problems.Write(httpContext, bad.StatusCode, RequestBodyTimeout.Title,
                    $"The request body arrived too slowly. {RequestBodyTimeout.WhatToDo}");
                return true;
            }

            await Problems.Write(httpContext, bad.StatusCode, "Bad request", bad.Message);
            return true;
        }

        var request = httpContext.Request;
        var isWrite = HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method)
            || HttpMethods.IsPatch(request.Method) || HttpMethods.IsDelete(request.Method);
        if (isWrite)
        {
            writeFailures.Record(exception);
        }

        switch (Classify(exception))
        {
            case DatabaseFailure.Unavailable:
                var sqlState = DatabaseWriteFailures.ServerError(exception)?.SqlState;
                LogDatabaseUnavailable(logger, request.Method, request.Path, sqlState ?? "none", exception.GetType().Name, exception.Message);
                var retryAfter = (int)admission.NextRetryAfter(DatabaseRetryAfter).TotalSeconds;
                httpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Problems.Write(httpContext, StatusCodes.Status503ServiceUnavailable, "Database unavailable",
                    Describe(exception, retryAfter, WriteRetryAdvice.RetryOf(request)));
                return true;
            case DatabaseFailure.InvalidData:
                await Problems.Write(httpContext, StatusCodes.Status400BadRequest, "Invalid data",
                    $"The database rejected a value in the request: {DatabaseWriteFailures.ServerError(exception)!.MessageText}.");
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
                // 08: connection exception; 53: insufficient resources (too many connections, disk full, out of memory);
                // 57P: operator intervention (shutdown, cannot connect now); 58: system error (I/O error);
                // 40001/40P01: serialization failure/deadlock.
                var s when s.StartsWith("08", StringComparison.Ordinal) || s.StartsWith("53", StringComparison.Ordinal)
                    || s.StartsWith("57P", StringComparison.Ordinal) || s.StartsWith("58", StringComparison.Ordinal)
                    || s is "40001" or "40P01" => DatabaseFailure.Unavailable,
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

    /// <summary>A 503's detail: what happened, in the client's terms, and when to come back. Nothing of the exception's
    /// text: Npgsql's messages name the host and port, and the connection share's name settings and server limits.</summary>
    /// <param name="exception">What failed; classified <see cref="DatabaseFailure.Unavailable"/>.</param>
    /// <param name="retryAfter">The Retry-After sent, in seconds.</param>
    /// <param name="write">What kind of write the request was, which says how to retry one that may have been applied.</param>
    internal static string Describe(Exception exception, int retryAfter, SafeRetry write)
    {
        var (what, outcomeUnknown) = WhatHappened(exception);
        var retry = string.Create(CultureInfo.InvariantCulture, $"Retry after {retryAfter} s.");
        return outcomeUnknown && WriteRetryAdvice.Sentence(write) is { } advice ? $"{what} {retry} {advice}" : $"{what} {retry}";
    }

    /// <summary>The sentence for the failure, and whether a write may have been applied despite it (the connection broke
    /// or the wait ended while PostgreSQL may have been committing it).</summary>
    private static (string What, bool OutcomeUnknown) WhatHappened(Exception exception)
    {
        if (DatabaseWriteFailures.ServerError(exception) is { } postgres)
        {
            return postgres.SqlState switch
            {
                SqlStates.DiskFull => ("The database has run out of disk space, so it cannot store changes; reads still work.", false),
                SqlStates.OutOfMemory => ("The database ran out of memory while serving this request.", false),
                SqlStates.TooManyConnections => ("The database has no connection to spare for this service right now.", false),
                var s when s.StartsWith("53", StringComparison.Ordinal) => ("The database ran out of a resource it needs to serve this request.", false),
                var s when s.StartsWith("58", StringComparison.Ordinal) => ("The database could not read or write its storage while serving this request.", false),
                var s when s.StartsWith("57P", StringComparison.Ordinal) => ("The database is restarting or shutting down.", true),
                "40001" or "40P01" => ("This request conflicted with another one served at the same time, and nothing of it was applied.", false),
                _ => ("The connection to the database failed while serving this request.", true),
            };
        }

        return exception switch
        {
            TimeoutException or NpgsqlException { InnerException: TimeoutException } =>
                ("The database was too busy to serve this request in time.", true),
            _ => ("The database could not be reached.", true),
        };
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Database unavailable while serving {Method} {Path} (SQLSTATE {SqlState}, {ExceptionType}): {Reason}")]
    private static partial void LogDatabaseUnavailable(
        ILogger logger, string method, PathString path, string sqlState, string exceptionType, string reason);

    internal enum DatabaseFailure
    {
        None,
        Unavailable,
        InvalidData,
    }
}
