using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>The 503 a shed request gets: RFC 9457 problem JSON with <c>Retry-After</c> (a browser loading a page to show
/// gets <see cref="BusyPage"/> instead). Under a storm most requests are shed, so the response is built once per
/// (priority, reason, seconds) and then written as cached bytes: the cost of shedding is what is left of the CPU for the
/// requests that are served.</summary>
internal static class ShedResponse
{
    internal const string ContentType = "application/problem+json";
    private const string ProblemType = "https://tools.ietf.org/html/rfc9110#section-15.6.4";

    private static readonly ConcurrentDictionary<(RequestPriority, RejectionReason, int), byte[]> Bodies = new();

    /// <summary>Writes the 503, its headers and its problem body.</summary>
    /// <param name="context">The request.</param>
    /// <param name="priority">Its priority.</param>
    /// <param name="reason">Why it was shed.</param>
    /// <param name="retryAfter">When to come back.</param>
    /// <param name="cause">What the request was waiting for when its deadline ended it, in the client's terms (the settings
    /// and server limits behind it go to the log), or null: such bodies are built
    /// each time (they are rare, being for admitted requests), the others come from the cache.</param>
    public static Task WriteAsync(HttpContext context, RequestPriority priority, RejectionReason reason, TimeSpan retryAfter, string? cause = null)
    {
        var seconds = RetryAfterPolicy.WholeSeconds(retryAfter);
        var body = cause is null
            ? Bodies.GetOrAdd((priority, reason, seconds), static key => Build(key.Item1, key.Item2, key.Item3, cause: null))
            : Build(priority, reason, seconds, cause);
        return WriteBodyAsync(context, seconds, body);
    }

    private static Task WriteBodyAsync(HttpContext context, int seconds, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
        if (BusyPage.IsDocumentRequest(context.Request))
        {
            BusyPage.SetContentHeaders(response);
            return response.Body.WriteAsync(BusyPage.Body, CancellationToken.None).AsTask(); // not RequestAborted: after a deadline it is the deadline's token, already fired
        }

        response.ContentType = ContentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, 0, body.Length);
    }

    /// <summary>The 503 of a write whose deadline ended while the database was serving it (reason <c>deadline</c>, as for any
    /// request the deadline ended): not "shed", since it may have been applied, and with what makes a retry safe.</summary>
    /// <param name="context">The request.</param>
    /// <param name="priority">Its priority.</param>
    /// <param name="retryAfter">When to come back.</param>
    /// <param name="advice">How to retry this write without applying it twice (<see cref="IWriteRetryAdvice"/>).</param>
    public static Task WriteOutcomeUnknownAsync(HttpContext context, RequestPriority priority, TimeSpan retryAfter, string advice)
    {
        var seconds = RetryAfterPolicy.WholeSeconds(retryAfter);
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"Widgetify stopped waiting for this {AdmissionMetrics.PriorityName(priority)} request to protect the database: its time budget " +
            $"ran out while the database was serving it. Retry after {seconds} s. {advice}");
        return WriteBodyAsync(context, seconds, Build(RejectionReason.Deadline, seconds, detail));
    }

    /// <summary>What the client is told, in words: what happened, why, and when to come back.</summary>
    private static string Detail(RequestPriority priority, RejectionReason reason, int seconds)
    {
        var why = reason switch
        {
            RejectionReason.QueueFull => "the admission queue is full",
            RejectionReason.QueueTimeout => "it waited in the admission queue longer than the queue allows",
            RejectionReason.Deadline => "its time budget ran out before the database could serve it",
            RejectionReason.NoCapacity => "this instance has no database connections to spare (its share of the fleet's connection budget is 0)",
            RejectionReason.Evicted => "more important requests needed its place in the queue",
            _ => "the service is overloaded",
        };
        if (reason == RejectionReason.CpuOverload)
        {
            // Not the database: the processors of this instance. Said as such, so nobody goes looking at PostgreSQL.
            return $"Widgetify shed this {AdmissionMetrics.PriorityName(priority)} request to keep the requests it serves fast: " +
                   $"this instance is busier than its processors can serve in time. Retry after {seconds} s.";
        }

        return $"Widgetify shed this {AdmissionMetrics.PriorityName(priority)} request to protect the database: {why}. " +
               $"Retry after {seconds} s.";
    }

    internal static byte[] Build(RequestPriority priority, RejectionReason reason, int seconds, string? cause) =>
        Build(reason, seconds, cause is null ? Detail(priority, reason, seconds) : $"{Detail(priority, reason, seconds)} {cause}");

    private static byte[] Build(RejectionReason reason, int seconds, string detail)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", ProblemType);
            json.WriteString("title", "Service overloaded");
            json.WriteNumber("status", StatusCodes.Status503ServiceUnavailable);
            json.WriteString("detail", detail);
            json.WriteString("reason", AdmissionMetrics.ReasonName(reason));
            json.WriteNumber("retryAfterSeconds", seconds);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
