using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Api.Errors;
using Widgetify.Observability.Database;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Errors;

public sealed class ExceptionProblemHandlerTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().AddMetrics().AddProblemDetails().BuildServiceProvider();
    private readonly FakeTimeProvider _clock = new();

    // No jitter: the Retry-After is exactly the database's 5 s floor.
    private readonly AdmissionController _admission = new(new AdmissionOptions { RetryAfterJitter = TimeSpan.Zero }, TimeProvider.System, new Random(1));

    public void Dispose()
    {
        _admission.Dispose();
        _services.Dispose();
    }

    [Theory]
    [InlineData("08006", "Unavailable")] // connection failure
    [InlineData("53300", "Unavailable")] // too many connections
    [InlineData("53100", "Unavailable")] // disk full
    [InlineData("57P01", "Unavailable")] // admin shutdown
    [InlineData("57P03", "Unavailable")] // cannot connect now
    [InlineData("53200", "Unavailable")] // out of memory
    [InlineData("58030", "Unavailable")] // I/O error
    [InlineData("40001", "Unavailable")] // serialization failure
    [InlineData("40P01", "Unavailable")] // deadlock
    [InlineData("22021", "InvalidData")] // a NUL in text
    [InlineData("22P02", "InvalidData")] // invalid text representation
    [InlineData("57014", "None")] // query cancelled: not 57P
    [InlineData("23505", "None")] // unique violation: a bug
    [InlineData("42P01", "None")] // undefined table: a bug
    public void Classify_PostgresError_BySqlState(string sqlState, string expected)
    {
        ExceptionProblemHandler.Classify(new PostgresException("message", "ERROR", "ERROR", sqlState)).ToString().ShouldBe(expected);
    }

    [Fact]
    public void Classify_NpgsqlException_IsUnavailable() => ExceptionProblemHandler.Classify(new NpgsqlException("pool exhausted")).ShouldBe(ExceptionProblemHandler.DatabaseFailure.Unavailable);

    [Fact]
    public void Classify_TimeoutException_IsUnavailable() => ExceptionProblemHandler.Classify(new TimeoutException()).ShouldBe(ExceptionProblemHandler.DatabaseFailure.Unavailable);

    [Fact]
    public void Classify_SocketException_IsUnavailable() => ExceptionProblemHandler.Classify(new SocketException()).ShouldBe(ExceptionProblemHandler.DatabaseFailure.Unavailable);

    [Fact]
    public void Classify_BugWrappingADatabaseError_ClassifiesTheInnerError() =>
        ExceptionProblemHandler.Classify(new InvalidOperationException("outer", new PostgresException("m", "ERROR", "ERROR", "53300"))).ShouldBe(ExceptionProblemHandler.DatabaseFailure.Unavailable);

    [Fact]
    public void Classify_PlainBug_IsNone() => ExceptionProblemHandler.Classify(new InvalidOperationException("bug")).ShouldBe(ExceptionProblemHandler.DatabaseFailure.None);

    [Fact]
    public async Task TryHandleAsync_DatabaseUnavailable_Writes503ProblemWithRetryAfterFromAdmission()
    {
        // Arrange
        var context = NewContext();

        // Act
        var handled = await Handler().TryHandleAsync(context, new PostgresException("too many clients", "FATAL", "FATAL", "53300"), CancellationToken.None);

        // Assert
        handled.ShouldBeTrue();
        context.Response.StatusCode.ShouldBe(503);
        context.Response.Headers.RetryAfter.ToString().ShouldBe("5");
        var problem = ReadBody(context);
        problem.GetProperty("title").GetString().ShouldBe("Database unavailable");
        problem.GetProperty("detail").GetString().ShouldBe("The database has no connection to spare for this service right now. Retry after 5 s.");
    }

    /// <summary>Each failure with the internals its exception carries (host, port, file, settings, server limits), and
    /// what the client is told instead.</summary>
    public static TheoryData<string, Exception, string> Failures => new()
    {
        { "connection refused", new NpgsqlException("Failed to connect to 127.0.0.1:54321", new SocketException(111)), "could not be reached" },
        {
            "pool timeout",
            new NpgsqlException(
                "No connection within 3 s ('Timeout' in the connection string): all 85 connection(s) of this instance's share of the PostgreSQL connection budget stayed in use. Raise Widgetify:ConnectionBudget:ReservedForOtherClients.",
                new TimeoutException("The connection share stayed full for 3 s.")),
            "too busy"
        },
        { "command timeout", new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt")), "too busy" },
        { "disk full", ServerError("53100", "could not extend file \"base/16384/16385\": No space left on device"), "run out of disk space" },
        { "out of memory", ServerError("53200", "out of memory"), "ran out of memory" },
        { "too many connections", ServerError("53300", "sorry, too many clients already"), "no connection to spare" },
        { "I/O error", ServerError("58030", "could not read block 0 in file \"base/16384/16385\": Input/output error"), "could not read or write its storage" },
        { "shutdown", ServerError("57P01", "terminating connection due to administrator command"), "restarting or shutting down" },
        { "deadlock", ServerError("40P01", "deadlock detected"), "conflicted with another one" },
        { "connection failure", ServerError("08006", "connection to 10.0.0.7 lost"), "connection to the database failed" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Describe_Failure_SaysWhatHappenedAndWhenToComeBackWithoutInternals(string what, Exception exception, string expected)
    {
        var detail = ExceptionProblemHandler.Describe(exception, retryAfter: 6, SafeRetry.None);

        detail.ShouldContain(expected, Case.Sensitive, what);
        detail.ShouldEndWith("Retry after 6 s.", Case.Sensitive, what);
        foreach (var secret in (string[])["127.0.0.1", "54321", "10.0.0.7", "base/", "No space", "Widgetify:", "Timeout", "85", "Exception", "Npgsql", "SQLSTATE", "53", "58"])
        {
            detail.ShouldNotContain(secret, Case.Sensitive, $"{what}: {detail}");
        }
    }

    [Fact]
    public void Describe_CreateWhoseOutcomeIsUnknown_SaysToRetryWithTheSameIdempotencyKey()
    {
        var detail = ExceptionProblemHandler.Describe(new NpgsqlException("Exception while reading from stream", new TimeoutException()), 5, SafeRetry.IdempotencyKey);

        detail.ShouldContain("same Idempotency-Key");
    }

    [Fact]
    public void Describe_VoteWhoseOutcomeIsUnknown_SaysToSendItAgainWithoutAnIdempotencyKey()
    {
        var detail = ExceptionProblemHandler.Describe(new NpgsqlException("Exception while reading from stream", new TimeoutException()), 5, SafeRetry.Vote);

        detail.ShouldContain("send it again, and it counts once");
        detail.ShouldNotContain("Idempotency-Key");
    }

    [Fact]
    public void Describe_CreateRefusedForDiskFull_DoesNotSuggestItMayHaveBeenApplied()
    {
        var detail = ExceptionProblemHandler.Describe(ServerError("53100", "could not extend file"), 5, SafeRetry.IdempotencyKey);

        detail.ShouldNotContain("may have been applied");
    }

    [Theory]
    [InlineData("POST", 1)]
    [InlineData("PUT", 1)]
    [InlineData("DELETE", 1)]
    [InlineData("GET", 0)]
    public async Task TryHandleAsync_DiskFull_CountsOnlyWritesAsWriteFailures(string method, int counted)
    {
        // Arrange
        var context = NewContext();
        context.Request.Method = method;
        var failures = WriteFailures();

        // Act
        await Handler(failures).TryHandleAsync(context, ServerError("53100", "could not extend file"), CancellationToken.None);

        // Assert
        context.Response.StatusCode.ShouldBe(503);
        (failures.LatestCannotWrite?.SqlState == "53100" ? 1 : 0).ShouldBe(counted);
    }

    [Fact]
    public async Task TryHandleAsync_WriteWithTheClientsError_IsNotAWriteFailure()
    {
        var context = NewContext();
        context.Request.Method = "POST";
        var failures = WriteFailures();

        await Handler(failures).TryHandleAsync(context, ServerError("22021", "invalid byte sequence"), CancellationToken.None);

        context.Response.StatusCode.ShouldBe(400);
        failures.Record(ServerError("23505", "duplicate key")).ShouldBeNull();
        failures.LatestCannotWrite.ShouldBeNull();
    }

    [Fact]
    public async Task TryHandleAsync_InvalidData_Writes400Problem()
    {
        var context = NewContext();

        var handled = await Handler().TryHandleAsync(context, new PostgresException("invalid byte sequence", "ERROR", "ERROR", "22021"), CancellationToken.None);

        handled.ShouldBeTrue();
        context.Response.StatusCode.ShouldBe(400);
        ReadBody(context).GetProperty("detail").GetString().ShouldBe("The database rejected a value in the request: invalid byte sequence.");
    }

    [Fact]
    public async Task TryHandleAsync_BadHttpRequest_WritesItsStatus()
    {
        var context = NewContext();

        var handled = await Handler().TryHandleAsync(context, new BadHttpRequestException("too big", 413), CancellationToken.None);

        handled.ShouldBeTrue();
        context.Response.StatusCode.ShouldBe(413);
        ReadBody(context).GetProperty("title").GetString().ShouldBe("Request body too large");
    }

    [Fact]
    public async Task TryHandleAsync_ClientWentAway_HandlesItWritingNothing()
    {
        // Arrange: a cancelled command may surface as a PostgreSQL error, which alone would read as "unavailable"
        using var aborted = new CancellationTokenSource();
        var context = NewContext();
        context.RequestAborted = aborted.Token;
        await aborted.CancelAsync();

        // Act
        var handled = await Handler().TryHandleAsync(context, new PostgresException("canceling statement", "ERROR", "ERROR", "57014"), CancellationToken.None);

        // Assert: handled, no 503 and no body: UseClientClosedStatus records the 499
        handled.ShouldBeTrue();
        context.Response.StatusCode.ShouldBe(200);
        context.Response.Headers.RetryAfter.Count.ShouldBe(0);
        context.Response.Body.Length.ShouldBe(0);
    }

    [Fact]
    public async Task TryHandleAsync_Bug_LeavesItToTheDefaultHandler()
    {
        var context = NewContext();

        (await Handler().TryHandleAsync(context, new InvalidOperationException("bug"), CancellationToken.None)).ShouldBeFalse();
        context.Response.Body.Length.ShouldBe(0);
    }

    private ExceptionProblemHandler Handler(DatabaseWriteFailures? failures = null) =>
        new(NullLogger<ExceptionProblemHandler>.Instance, _admission, failures ?? WriteFailures());

    private DatabaseWriteFailures WriteFailures() => new(_services.GetRequiredService<IMeterFactory>(), _clock);

    /// <summary>An error as PostgreSQL sends it (the real thing is raised by a server in DiskFullTests).</summary>
    private static PostgresException ServerError(string sqlState, string message) => new(message, "ERROR", "ERROR", sqlState);

    private DefaultHttpContext NewContext()
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Path = "/api/widgets";
        context.Request.Headers.Accept = "application/json";
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static JsonElement ReadBody(HttpContext context)
    {
        context.Response.Body.Position = 0;
        using var document = JsonDocument.Parse(context.Response.Body);
        return document.RootElement.Clone();
    }
}
