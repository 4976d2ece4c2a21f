using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Widgetify.Cli.Drills;

/// <summary>The client side of a drill: writers that create widgets continuously, each request recorded with when it
/// was sent and answered and how (acknowledged with the widget's id, shed with 503, or failed otherwise), so what the
/// server acknowledged can be checked against the table afterwards.</summary>
internal sealed class WriteLedger(Uri service, string apiKey, string run)
{
    private readonly List<LedgerEntry> entries = [];
    private readonly Lock entriesLock = new();
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private long sequence;

    /// <summary>The prefix of every widget name this run writes.</summary>
    public string NamePrefix => $"drill-{run}-";

    /// <summary>Seconds since the ledger started.</summary>
    public double Now => clock.Elapsed.TotalSeconds;

    /// <summary>Everything recorded so far.</summary>
    public IReadOnlyList<LedgerEntry> Entries
    {
        get
        {
            lock (entriesLock)
            {
                return [.. entries];
            }
        }
    }

    /// <summary>Runs <paramref name="writers"/> writers until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(int writers, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = service,
            Timeout = TimeSpan.FromSeconds(10),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => WriteLoopAsync(http, cancellationToken)));
    }

    private async Task WriteLoopAsync(HttpClient http, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var key = $"{NamePrefix}{Interlocked.Increment(ref sequence)}";
            var sent = Now;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/widgets")
            {
                Content = JsonContent.Create(new { name = key, kind = "banner", config = new { text = "drill" } }),
            };
            request.Headers.Add("Idempotency-Key", key);
            LedgerEntry entry;
            try
            {
                using var response = await http.SendAsync(request, CancellationToken.None);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None);
                    entry = new LedgerEntry(key, sent, Now, Outcome.Acknowledged, 201, body.GetProperty("id").GetGuid());
                }
                else
                {
                    var status = (int)response.StatusCode;
                    var outcome = status switch
                    {
                        503 => Outcome.Shed,
                        429 => Outcome.Throttled,
                        _ => Outcome.Failed,
                    };
                    entry = new LedgerEntry(key, sent, Now, outcome, status, null);
                    if (outcome == Outcome.Throttled)
                    {
                        // The key's write limit (a running 'up' the drill attached to): come back when told, within reason.
                        var retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                        await Task.Delay(retryAfter > TimeSpan.FromSeconds(2) ? TimeSpan.FromSeconds(2) : retryAfter, CancellationToken.None);
                    }
                    else if (status == 503)
                    {
                        // A shed write is told when to come back; a drill's writers back off a little rather than spin.
                        await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                entry = new LedgerEntry(key, sent, Now, Outcome.Failed, 0, null) { Error = ex.GetType().Name + ": " + ex.Message };
                await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
            }

            lock (entriesLock)
            {
                entries.Add(entry);
            }
        }
    }
}

/// <summary>How a write ended, as the client saw it.</summary>
internal enum Outcome
{
    /// <summary>201 with the widget's id: the server promised it is stored.</summary>
    Acknowledged,

    /// <summary>503: refused, to be retried (the write may not be stored).</summary>
    Shed,

    /// <summary>Anything else: another status, a reset, a refused connection, a timeout.</summary>
    Failed,

    /// <summary>429: the API key's write rate limit; nothing stored, the service available: neither shed nor failed.</summary>
    Throttled,
}

/// <summary>One write of the ledger.</summary>
internal sealed record LedgerEntry(string Key, double SentAt, double AnsweredAt, Outcome Outcome, int Status, Guid? Id)
{
    /// <summary>Why it failed, when no status came back.</summary>
    public string? Error { get; init; }
}
