using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Api.Errors;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Errors;

public sealed class ExceptionProblemHandlerTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();

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
        problem.GetProperty("detail").GetString().ShouldBe("The database could not serve this request (53300: too many clients). Retry after 5 s.");
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

    private ExceptionProblemHandler Handler() => new(NullLogger<ExceptionProblemHandler>.Instance, _admission);

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
