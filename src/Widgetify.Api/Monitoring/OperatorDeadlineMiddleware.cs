using System.Globalization;
using Microsoft.Extensions.Options;
using Widgetify.Core.Deadlines;
using Widgetify.Core.Traffic;

namespace Widgetify.Api.Monitoring;

/// <summary>Gives an operators' request (incidents, alerts, the review, scaling, the dashboard's data) the read budget
/// (<c>Widgetify:Admission:ReadTimeout</c>) as its deadline. These endpoints skip admission control, which is where every
/// other request gets its deadline, so their database work had none: with a hung database an operator waited for the
/// connect and command timeouts, or longer, exactly when the page was needed. One place for the whole operators' group,
/// as admission is one place for the rest: the request carries a <see cref="RequestDeadline"/> (the waits further in
/// honour it, the API-key lookup among them) and its cancellation token fires at the deadline; work that the deadline
/// ended is answered as the database not answering in time (503 with Retry-After, by the exception handler).</summary>
internal sealed class OperatorDeadlineMiddleware(RequestDelegate next, IOptions<WidgetifyOptions> options, TimeProvider timeProvider)
{
    private const string Setting = "Widgetify:Admission:ReadTimeout";

    public async Task InvokeAsync(HttpContext context)
    {
        // Admitted requests have their deadline already; /metrics and the health checks answer from memory or have their own.
        if (RequestDeadline.Of(context) is not null || !context.GetEndpoint().IsForOperators()
            || context.Request.Path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase)
            || context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        var budget = options.Value.Admission.ReadTimeout;
        var clientAborted = context.RequestAborted;
        using var deadlineTimer = new CancellationTokenSource(budget, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, deadlineTimer.Token);
        context.RequestAborted = linked.Token;
        context.Features.Set(new RequestDeadline(budget, Setting, timeProvider.GetTimestamp(), timeProvider, deadlineTimer.Token));
        try
        {
            await next(context);
        }
        catch (Exception ex) when (deadlineTimer.IsCancellationRequested && !clientAborted.IsCancellationRequested && !context.Response.HasStarted
            && ex is OperationCanceledException or TimeoutException or Npgsql.NpgsqlException)
        {
            // What an ended wait throws (a cancelled command or pool wait, a connection broken by the cancellation) was the
            // database not answering within the budget; anything else (a bug that happened to throw late) stays itself: the exception handler's 503 says so, with Retry-After.
            // RequestAborted is the client's again by then (finally), so the handler does not take it for a client that left.
            // Not chained: the handler words a 503 by the innermost server error, and a cancelled statement's would read as a
            // broken connection; what was ended goes into the message, for the log.
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"The database did not answer the operators' request {context.Request.Path} within {Setting} ({budget.TotalSeconds:0.###} s); " +
                $"the wait ended with {ex.GetType().Name}: {ex.Message}"));
        }
        finally
        {
            context.Features.Set<RequestDeadline>(null);
            context.RequestAborted = clientAborted;
        }
    }
}
