using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Core.Deadlines;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Admits a request to its database work, queues it, or sheds it with a fast 503 that never touches the
/// database. It also gives the request its deadline: <see cref="HttpContext.RequestAborted"/> is replaced by a token
/// that fires at the deadline, so every database command (which takes that token) is cancelled on the server when the
/// request's time is up instead of running on for a client that has given up.</summary>
internal sealed partial class AdmissionMiddleware(
    RequestDelegate next,
    AdmissionController controller,
    IAdmissionPartitioner partitioner,
    IWriteRetryAdvice retryAdvice,
    AdmissionServiceCollectionExtensions.AdmissionModeHolder settings,
    TimeProvider timeProvider,
    ILogger<AdmissionMiddleware> logger)
{
    /// <summary>What a request whose deadline ended its wait for a database connection is told.</summary>
    internal const string WaitedForConnection = "It was waiting for a database connection, and all that this instance may use stayed busy.";

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
        if (endpoint!.Metadata.GetMetadata<AdmissionSkipMetadata>() is { } skip && skip.ServedWithoutDatabase(context))
        {
            controller.CountSkipped(priority);
            await next(context); // answered from memory: no database work for a slot to bound
            return;
        }

        var clientAborted = context.RequestAborted;
        var arrived = timeProvider.GetTimestamp();
        // One call under the controller's lock admits, queues or sheds (it completes synchronously unless queued). The
        // queue's own timeouts (CoDel: at most QueueInterval) bound the wait; the deadline, which counts from arrival,
        // is checked once admitted. No timer is armed for a request that ends up shed: shedding must stay cheap when
        // it is most of the traffic.
        // The tenant's partition (TenantShares): asked only when shares are on, since it runs for shed requests too.
        var partition = _options.TenantShares ? partitioner.GetPartitionKey(context) : null;
        var result = await controller.AcquireAsync(priority, partition, clientAborted);
        if (result.Lease is not { } lease)
        {
            if (!clientAborted.IsCancellationRequested)
            {
                await WriteShedAsync(context, priority, result.Reason, result.RetryAfter, cause: null);
            }

            return; // a client that left while queued was not shed: UseClientClosedStatus records its 499
        }

        var (budget, setting) = BudgetOf(priority);
        var remaining = budget - timeProvider.GetElapsedTime(arrived);
        if (remaining <= TimeSpan.Zero)
        {
            lease.Complete(AdmissionOutcome.Ignored); // never started: no latency sample
            controller.ReportDeadlineExceeded(priority);
            await WriteShedAsync(context, priority, RejectionReason.Deadline, controller.NextRetryAfter(), cause: null);
            return;
        }

        // The request's one deadline. Every wait further in derives from it: database commands take the token, and the
        // connection-share and pool waits find the deadline on the request (RequestDeadline.Of) and end when it fires.
        using var deadlineTimer = new CancellationTokenSource(remaining, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, deadlineTimer.Token);
        var deadline = new RequestDeadline(budget, setting, arrived, timeProvider, deadlineTimer.Token);
        var outcome = AdmissionOutcome.Ignored;
        context.RequestAborted = linked.Token;
        context.Features.Set(deadline);
        try
        {
            await next(context);
            outcome = context.Features.Get<StalledRequestBody>() is null ? AdmissionOutcome.Succeeded : AdmissionOutcome.Ignored;
        }
        catch (OperationCanceledException ex) when (deadline.Token.IsCancellationRequested && !clientAborted.IsCancellationRequested)
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
                // A wait that the deadline ended says which wait it was: the client is told it waited for a connection,
                // the log gets the whole message (the share, the server's limits, the settings to change). A command
                // cancelled at the deadline says nothing beyond the deadline itself.
                string? cause = null;
                if (ex.InnerException is TimeoutException)
                {
                    cause = WaitedForConnection;
                    LogDeadlineWait(logger, context.Request.Path, ex.Message);
                    await WriteShedAsync(context, priority, RejectionReason.Deadline, controller.NextRetryAfter(), cause);
                }
                else if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
                {
                    // Not "shed": the write got as far as the database, whose statement may commit after the cancel (a
                    // frozen server takes no cancel at all). A client told it was shed would send it again, and a create
                    // without its Idempotency-Key would be made twice.
                    LogShed(logger, context.Request.Path, priority, RejectionReason.Deadline);
                    await ShedResponse.WriteOutcomeUnknownAsync(
                        context, priority, controller.NextRetryAfter(), retryAdvice.ForOutcomeUnknown(context));
                }
                else
                {
                    await WriteShedAsync(context, priority, RejectionReason.Deadline, controller.NextRetryAfter(), cause: null);
                }
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
            context.Features.Set<RequestDeadline>(null);
            context.RequestAborted = clientAborted;
            lease.Complete(outcome);
        }
    }

    /// <summary>The request's time budget and the setting that sets it: the one place the deadlines are read.</summary>
    private (TimeSpan Budget, string Setting) BudgetOf(RequestPriority priority) =>
        priority is RequestPriority.Read or RequestPriority.Background
            ? (_options.ReadTimeout, "Widgetify:Admission:ReadTimeout")
            : (_options.WriteTimeout, "Widgetify:Admission:WriteTimeout");

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

    private Task WriteShedAsync(HttpContext context, RequestPriority priority, RejectionReason reason, TimeSpan retryAfter, string? cause)
    {
        LogShed(logger, context.Request.Path, priority, reason);
        return ShedResponse.WriteAsync(context, priority, reason, retryAfter, cause);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The deadline of {Path} ended its wait: {Cause}")]
    private static partial void LogDeadlineWait(ILogger logger, PathString path, string cause);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shed {Path} ({Priority}): {Reason}")]
    private static partial void LogShed(ILogger logger, PathString path, RequestPriority priority, RejectionReason reason);
}
