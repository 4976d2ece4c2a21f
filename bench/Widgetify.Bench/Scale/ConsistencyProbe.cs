using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Widgetify.Bench.Scale;

/// <summary>
/// The stale-reads phase's clients, each on a widget of its own so that versions only ever grow by its own writes. A
/// pair worker writes (<c>PUT /api/widgets/{id}</c>, <c>If-Match: *</c>) and reads the widget back with the write's
/// <c>Widgetify-Consistency</c> token, again and again. A watcher writes, then reads without a token every 20 ms until it
/// sees its write, so that its stale reads show how long a write stays invisible to a client that sends no token.
/// Outcomes go to the <see cref="ConsistencyLedger"/>; the workers end when <c>stop</c> is cancelled.
/// </summary>
internal sealed class ConsistencyProbe(HttpClient client, Uri baseAddress, string apiKey, ConsistencyLedger ledger, TimeProvider time)
{
    /// <summary>The header a write answers with and a read sends back (Widgetify.Overload's ConsistencyToken.HeaderName).</summary>
    public const string TokenHeader = "Widgetify-Consistency";

    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>A watcher gives up on a write it has not seen after this long (reported as its staleness anyway).</summary>
    private static readonly TimeSpan WatchLimit = TimeSpan.FromSeconds(15);

    private int writes;

    /// <summary>Creates the widgets the workers write to (<c>POST /api/widgets</c> on the primary).</summary>
    public async Task<IReadOnlyList<Guid>> CreateWidgetsAsync(int count, CancellationToken cancellationToken)
    {
        var ids = new List<Guid>(count);
        for (var i = 0; i < count; i++)
        {
            using var request = Request(HttpMethod.Post, "/api/widgets", Body("consistency"));
            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"POST /api/widgets answered {(int)response.StatusCode}: {body}");
            }

            using var created = JsonDocument.Parse(body);
            ids.Add(created.RootElement.GetProperty("id").GetGuid());
        }

        return ids;
    }

    public async Task RunPairsAsync(Guid widget, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (await WriteAsync(widget, stop) is not { } written)
                {
                    continue;
                }

                var readAt = time.GetUtcNow();
                ledger.RecordPair(written.At, readAt, written.Version, await ReadAsync(widget, written.Token, stop));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The phase is over; a request cut short is not recorded.
        }
    }

    public async Task RunWatcherAsync(Guid widget, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (await WriteAsync(widget, stop) is not { } written)
                {
                    continue;
                }

                while (true)
                {
                    var readAt = time.GetUtcNow();
                    var read = await ReadAsync(widget, token: null, stop);
                    if (ledger.RecordTokenlessRead(written.At, readAt, written.Version, read) || readAt - written.At > WatchLimit)
                    {
                        break;
                    }

                    await Task.Delay(WatchInterval, time, stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task<(DateTimeOffset At, int Version, string Token)?> WriteAsync(Guid widget, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref writes);
        try
        {
            using var request = Request(HttpMethod.Put, $"/api/widgets/{widget}", Body(string.Create(CultureInfo.InvariantCulture, $"consistency-{n}")));
            request.Headers.TryAddWithoutValidation("If-Match", "*");
            using var response = await client.SendAsync(request, cancellationToken);
            var at = time.GetUtcNow();
            if (response.StatusCode == HttpStatusCode.OK && Version(response) is { } version
                && response.Headers.TryGetValues(TokenHeader, out var tokens) && tokens.FirstOrDefault() is { Length: > 0 } token)
            {
                return (at, version, token);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
        }

        ledger.RecordWriteFailure();
        return null;
    }

    private async Task<ReadBack> ReadAsync(Guid widget, string? token, CancellationToken cancellationToken)
    {
        try
        {
            using var request = Request(HttpMethod.Get, $"/api/widgets/{widget}", content: null);
            if (token is not null)
            {
                request.Headers.TryAddWithoutValidation(TokenHeader, token);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            return new ReadBack((int)response.StatusCode, Version(response));
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new ReadBack(0, null); // no answer: a failed read
        }
    }

    /// <summary>The widget's version from its ETag (<c>"12"</c>).</summary>
    internal static int? Version(HttpResponseMessage response) =>
        response.Headers.ETag is { IsWeak: false } etag
            && int.TryParse(etag.Tag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : null;

    private HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, new Uri(baseAddress, path)) { Content = content, Version = HttpVersion.Version11 };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return request;
    }

    private static StringContent Body(string name) =>
        new(JsonSerializer.Serialize(new { name, kind = "counter", config = new { label = "bench scale" } }), Encoding.UTF8, "application/json");
}
