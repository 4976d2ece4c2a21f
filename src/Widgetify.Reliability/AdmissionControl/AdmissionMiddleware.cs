using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Widgetify.Reliability.AdmissionControl;

/// <summary>Admits a request to its database work, queues it, or sheds it with a fast 503 that never touches the
/// database. It also gives the request its deadline: <see cref="HttpContext.RequestAborted"/> is replaced by a token
/// that fires at the deadline, so every database command (which takes that token) is cancelled on the server when the
/// request's time is up instead of running on for a client that has given up.</summary>
internal sealed partial class AdmissionMiddleware(
    RequestDelegate next,
    AdmissionController controller,
    AdmissionServiceCollectionExtensions.AdmissionModeHolder settings,
    TimeProvider timeProvider,
    IProblemDetailsService problemDetails,
    ILogger<AdmissionMiddleware> logger)
{
    private readonly AdmissionOptions _options = settings.Options;

    public async Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<AdmissionEndpointMetadata>();
        if (context.GetEndpoint() is null || metadata?.Bypass == true)
        {
            await next(context); // no endpoint (404, 405) or no database work: nothing to protect
            return;
        }

        var priority = AdmissionEndpointMetadata.PriorityOf(metadata, context.Request.Method);
        var clientAborted = context.RequestAborted;
        using var deadline = new CancellationTokenSource(TimeoutOf(priority), timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, deadline.Token);

        if (!controller.TryAcquire(priority, out var lease))
        {
            var result = await controller.AcquireAsync(priority, linked.Token);
            if (!result.IsAdmitted)
            {
                if (clientAborted.IsCancellationRequested)
                {
                    context.Response.StatusCode = 499; // the client left while queued: not shed, nobody reads this
                    return;
                }

                await WriteShedAsync(context, priority, result.Reason, result.RetryAfter);
                return;
            }

            lease = result.Lease;
        }

        var outcome = AdmissionOutcome.Ignored;
        context.RequestAborted = linked.Token;
        try
        {
            await next(context);
            outcome = AdmissionOutcome.Succeeded;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !clientAborted.IsCancellationRequested)
        {
            outcome = AdmissionOutcome.TimedOut;
            if (!context.Response.HasStarted)
            {
                await WriteShedAsync(context, priority, RejectionReason.Deadline, controller.NextRetryAfter());
            }
        }
        catch (Exception ex) when (IsDatabaseTimeout(ex) && !clientAborted.IsCancellationRequested)
        {
            // A pool wait or command that timed out is congestion even though it is reported as an error; the
            // exception handler further out still turns it into a 503.
            outcome = AdmissionOutcome.TimedOut;
            throw;
        }
        finally
        {
            context.RequestAborted = clientAborted;
            lease!.Complete(outcome);
        }
    }

    private TimeSpan TimeoutOf(RequestPriority priority) =>
        priority is RequestPriority.Read or RequestPriority.Background ? _options.ReadTimeout : _options.WriteTimeout;

    private static bool IsDatabaseTimeout(Exception exception) => exception switch
    {
        TimeoutException => true,
        NpgsqlException { InnerException: TimeoutException } => true,
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.TooManyConnections } => true,
        NpgsqlException npgsql when npgsql.Message.Contains("pool", StringComparison.OrdinalIgnoreCase) => true,
        _ => false,
    };

    private async Task WriteShedAsync(HttpContext context, RequestPriority priority, RejectionReason reason, TimeSpan retryAfter)
    {
        var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
        var why = reason switch
        {
            RejectionReason.QueueFull => "the admission queue is full",
            RejectionReason.QueueTimeout => "it waited in the admission queue longer than the queue allows",
            RejectionReason.Deadline => "its time budget ran out before the database could serve it",
            RejectionReason.NoCapacity => "this instance has no database connections to spare (its share of the fleet's connection budget is 0)",
            RejectionReason.Evicted => "more important requests needed its place in the queue",
            _ => "the service is overloaded",
        };
        LogShed(logger, context.Request.Path, priority, reason);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.CacheControl = "no-store";
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Service overloaded",
            Detail = $"Widgetify shed this {priority.ToString().ToLowerInvariant()} request to protect the database: {why}. " +
                     $"Retry after {seconds} s.",
            Extensions = { ["reason"] = ReasonName(reason) },
        };
        if (!await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            await context.Response.WriteAsJsonAsync(problem, options: null, contentType: "application/problem+json");
        }
    }

    /// <summary>The snake_case name used in problem bodies and metric tags.</summary>
    internal static string ReasonName(RejectionReason reason) => reason switch
    {
        RejectionReason.QueueFull => "queue_full",
        RejectionReason.QueueTimeout => "queue_timeout",
        RejectionReason.Deadline => "deadline",
        RejectionReason.NoCapacity => "no_capacity",
        RejectionReason.Evicted => "evicted",
        _ => "none",
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shed {Path} ({Priority}): {Reason}")]
    private static partial void LogShed(ILogger logger, PathString path, RequestPriority priority, RejectionReason reason);
}
