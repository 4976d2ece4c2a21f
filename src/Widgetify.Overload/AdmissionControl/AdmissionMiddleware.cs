using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Admits a request to its database work, queues it, or sheds it with a fast 503 that never touches the
/// database. It also gives the request its deadline: <see cref="HttpContext.RequestAborted"/> is replaced by a token
/// that fires at the deadline, so every database command (which takes that token) is cancelled on the server when the
/// request's time is up instead of running on for a client that has given up.</summary>
internal sealed partial class AdmissionMiddleware(
    RequestDelegate next,
    AdmissionController controller,
    AdmissionServiceCollectionExtensions.AdmissionModeHolder settings,
    TimeProvider timeProvider,
    ILogger<AdmissionMiddleware> logger)
{
    private readonly AdmissionOptions _options = settings.Options;

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var metadata = endpoint?.Metadata.GetMetadata<AdmissionEndpointMetadata>();
        if (AdmissionEndpointMetadata.Bypasses(endpoint, metadata))
        {
            await next(context); // no endpoint (404, 405), or an operator's that asked for no priority: nothing to protect
            return;
        }

        var priority = AdmissionEndpointMetadata.PriorityOf(metadata, context.Request.Method);
        var clientAborted = context.RequestAborted;
        var arrived = timeProvider.GetTimestamp();
        // One call under the controller's lock admits, queues or sheds (it completes synchronously unless queued). The
        // queue's own timeouts (CoDel: at most QueueInterval) bound the wait; the deadline, which counts from arrival,
        // is checked once admitted. No timer is armed for a request that ends up shed: shedding must stay cheap when
        // it is most of the traffic.
        var result = await controller.AcquireAsync(priority, clientAborted);
        if (result.Lease is not { } lease)
        {
            if (clientAborted.IsCancellationRequested)
            {
                context.Response.StatusCode = 499; // the client left while queued: not shed, nobody reads this
                return;
            }

            await WriteShedAsync(context, priority, result.Reason, result.RetryAfter);
            return;
        }

        var remaining = TimeoutOf(priority) - timeProvider.GetElapsedTime(arrived);
        if (remaining <= TimeSpan.Zero)
        {
            lease.Complete(AdmissionOutcome.Ignored); // never started: no latency sample
            controller.ReportDeadlineExceeded(priority);
            await WriteShedAsync(context, priority, RejectionReason.Deadline, controller.NextRetryAfter());
            return;
        }

        using var deadline = new CancellationTokenSource(remaining, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, deadline.Token);
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
            controller.ReportDeadlineExceeded(priority);
            if (context.Response.HasStarted)
            {
                // Too late for a 503: returning normally would end a chunked body cleanly, and the client would take
                // the truncated response for a whole one. Resetting the connection tells it the response is broken.
                context.Abort();
            }
            else
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
            lease.Complete(outcome);
        }
    }

    private TimeSpan TimeoutOf(RequestPriority priority) =>
        priority is RequestPriority.Read or RequestPriority.Background ? _options.ReadTimeout : _options.WriteTimeout;

    /// <summary>Whether a failure of the endpoint is the database running out of time or room: a command timeout, a
    /// pool or connection-share wait that ran out (Npgsql's pool exhaustion and the governor's both carry an inner
    /// <see cref="TimeoutException"/>), a cancelled statement, or "too many connections". A refused or broken
    /// connection is not: that is the database being down, which a lower concurrency limit does not cure.</summary>
    internal static bool IsDatabaseTimeout(Exception exception) => exception switch
    {
        TimeoutException => true,
        NpgsqlException { InnerException: TimeoutException } => true,
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.TooManyConnections } => true,
        _ => false,
    };

    private Task WriteShedAsync(HttpContext context, RequestPriority priority, RejectionReason reason, TimeSpan retryAfter)
    {
        LogShed(logger, context.Request.Path, priority, reason);
        return ShedResponse.WriteAsync(context, priority, reason, retryAfter);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shed {Path} ({Priority}): {Reason}")]
    private static partial void LogShed(ILogger logger, PathString path, RequestPriority priority, RejectionReason reason);
}
