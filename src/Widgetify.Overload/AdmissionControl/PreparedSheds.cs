using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>The 503s the pre-routing shed writes, each prepared once: status, <c>Retry-After</c>, <c>Cache-Control:
/// no-store</c>, content type, content length and the RFC 9457 body (the same bytes <see cref="ShedResponse"/> writes
/// after routing), or <see cref="BusyPage"/> for a browser loading a page to show. Writing one allocates nothing: the
/// header values are strings made once, and the body is copied into the response's own buffer.</summary>
/// <remarks>One entry per (priority, reason, seconds); the seconds run from <see cref="AdmissionOptions.RetryAfter"/> to
/// <see cref="AdmissionOptions.RetryAfter"/> + <see cref="AdmissionOptions.RetryAfterJitter"/>. Entries are made on
/// first use (a benign race: two threads may build the same bytes, either copy is right), so a long jitter costs
/// memory only for the values actually sent.</remarks>
internal sealed class PreparedSheds
{
    private static readonly StringValues NoStore = new("no-store");
    private static readonly StringValues ProblemJson = new(ShedResponse.ContentType);

    private readonly int _baseSeconds;
    private readonly int _spread;
    private readonly Entry?[] _entries;

    public PreparedSheds(AdmissionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _baseSeconds = RetryAfterPolicy.WholeSeconds(options.RetryAfter);
        _spread = Math.Max(0, (int)Math.Floor(options.RetryAfterJitter.TotalSeconds)) + 1;
        _entries = new Entry?[4 * 3 * _spread]; // priorities × {queue_full, no_capacity, cpu_overload} × seconds
    }

    /// <summary>Writes the 503 for a request of <paramref name="priority"/> refused for <paramref name="reason"/>.</summary>
    /// <param name="response">The response, not started.</param>
    /// <param name="priority">The priority it was judged by.</param>
    /// <param name="reason"><see cref="RejectionReason.QueueFull"/>, <see cref="RejectionReason.NoCapacity"/> or
    /// <see cref="RejectionReason.CpuOverload"/>.</param>
    /// <param name="sequence">A running count of such sheds. <c>Retry-After</c> is its base plus <paramref name="sequence"/>
    /// modulo (jitter + 1) seconds: the clients shed together are spread evenly over the jitter, as the random draw after
    /// routing spreads them, without a lock around a <see cref="Random"/>.</param>
    /// <param name="document">A browser loading a page to show (<see cref="BusyPage.IsDocumentRequest"/>): it gets the
    /// busy page, with the same headers, instead of the problem body.</param>
    public void Write(HttpResponse response, RequestPriority priority, RejectionReason reason, long sequence, bool document = false)
    {
        var offset = (int)((ulong)sequence % (ulong)_spread);
        var kind = reason switch
        {
            RejectionReason.NoCapacity => 1,
            RejectionReason.CpuOverload => 2,
            _ => 0,
        };
        var index = ((((int)priority * 3) + kind) * _spread) + offset;
        var entry = _entries[index] ??= new Entry(
            ShedResponse.Build(priority, reason, _baseSeconds + offset, cause: null),
            new StringValues((_baseSeconds + offset).ToString(CultureInfo.InvariantCulture)));

        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        var headers = response.Headers;
        headers.RetryAfter = entry.RetryAfter;
        headers.CacheControl = NoStore;
        if (document)
        {
            BusyPage.SetContentHeaders(response);
            response.BodyWriter.Write(BusyPage.Body.Span);
            return;
        }

        headers.ContentType = ProblemJson;
        headers.ContentLength = entry.Body.Length;

        // Into the response's buffer, no flush: the server sends it when the request ends, with no task to await.
        response.BodyWriter.Write(entry.Body);
    }

    private sealed record Entry(byte[] Body, StringValues RetryAfter);
}
