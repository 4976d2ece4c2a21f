using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Widgetify.Cli.Tests.Cluster;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Testing;
using Xunit.Abstractions;

namespace Widgetify.Cli.Tests;

/// <summary>SIGTERM to a real 'widgetify up' under a load of kept-alive clients (Widgetify.Api's ShutdownDrain, end to
/// end): every request is either served with a 2xx or refused before it was sent, none is reset, and readiness fails
/// before the listener closes. Before the drain, each such stop reset 10-35 requests (docs/benchmarks.md).</summary>
public sealed class UpDrainTests(ITestOutputHelper output)
{
    // Enough kept-alive clients that, at any moment, several are between two requests: the stop used to reset those.
    private const int RawReaders = 24;
    private const int RawWriters = 4;
    private const int HttpClientReaders = 6;
    private const int HttpClientWriters = 2;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(30);

    /// <summary>A second between readiness failing and the listener closing, so the poller can see the order, and the
    /// cluster tests' admission that never sheds (every answer the load gets is a 2xx or a sign of the stop).</summary>
    private static readonly Dictionary<string, string> Settings = new(RunningCluster.CalmAdmission)
    {
        ["Widgetify__Api__DrainDelay"] = "00:00:01",
    };

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<(TimeSpan At, Exchange Exchange, string Client)> _outcomes = new();

    [Fact]
    public async Task Up_SigtermUnderKeepAliveLoad_ServesOrRefusesEveryRequestAndFailsReadinessFirst()
    {
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb
        var port = CliProcess.FreePort();
        using var up = CliProcess.Start(Settings, "up", "--data-dir", dataDir.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--demo-widgets", "40");
        await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
        var key = File.ReadAllText(Path.Combine(dataDir.Path, "demo-api-key")).Trim();

        using var stop = new CancellationTokenSource();
        TimeSpan? readinessFailedAt = null;
        var load = new List<Task>();
        for (var i = 0; i < RawReaders + RawWriters; i++)
        {
            var write = i < RawWriters;
            load.Add(Task.Run(() => RawClientAsync(port, key, write, stop.Token)));
        }

        for (var i = 0; i < HttpClientReaders + HttpClientWriters; i++)
        {
            var write = i < HttpClientWriters;
            load.Add(Task.Run(() => HttpClientAsync(port, key, write, stop.Token)));
        }

        load.Add(Task.Run(async () => readinessFailedAt = await ReadinessFailsAsync(port, stop.Token)));
        await BoundedWait.UntilAsync(
            () => _outcomes.Count(o => o.Exchange.Outcome == ExchangeOutcome.Completed) >= 200, () => $"{_outcomes.Count} outcomes",
            "the load has had 200 answers", TimeSpan.FromSeconds(60));

        var terminatedAt = _clock.Elapsed;
        up.Terminate();
        var exitCode = await up.WaitForExitAsync(StopTimeout);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var across = _outcomes.Where(o => o.At >= terminatedAt).ToList();
        var failed = _outcomes.Where(o => o.Exchange.Outcome == ExchangeOutcome.Failed).ToList();
        var served = across.Where(o => o.Exchange.Outcome == ExchangeOutcome.Completed).ToList();
        var refused = across.Where(o => o.Exchange.Outcome == ExchangeOutcome.Refused).ToList();
        var firstRefusedAt = refused.Count > 0 ? refused.Min(o => o.At) : (TimeSpan?)null;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stop under load ({RawReaders + RawWriters} raw + {HttpClientReaders + HttpClientWriters} HttpClient keep-alive clients): " +
            $"{served.Count} served after SIGTERM ({served.Count(o => o.Exchange.ConnectionClose)} with Connection: close), " +
            $"{refused.Count} refused before sending, {failed.Count} failed; readiness failed at +{(readinessFailedAt - terminatedAt)?.TotalSeconds:0.000} s, " +
            $"first refusal at +{(firstRefusedAt - terminatedAt)?.TotalSeconds:0.000} s"));
        foreach (var failure in failed.GroupBy(o => $"{o.Client}: {o.Exchange.Failure}"))
        {
            output.WriteLine($"  failed: {failure.Key} x{failure.Count()}");
        }

        exitCode.ShouldBe(0, up.StandardError + up.StandardOutput);
        failed.ShouldBeEmpty("no request may be reset or cut off by a stop; each was served or refused before it was sent");
        var statuses = _outcomes.Where(o => o.Exchange.Outcome == ExchangeOutcome.Completed).GroupBy(o => o.Exchange.Status)
            .ToDictionary(g => g.Key, g => g.Count());
        statuses.Keys.ShouldAllBe(status => status >= 200 && status < 300, string.Join(", ", statuses.Select(s => $"{s.Key} x{s.Value}")));
        served.ShouldContain(o => o.Exchange.ConnectionClose, "requests arriving while the instance drains are served and told to close");
        readinessFailedAt.ShouldNotBeNull("/health/ready must fail while the instance drains");
        firstRefusedAt.ShouldNotBeNull("the clients kept sending until the listener closed");
        readinessFailedAt.Value.ShouldBeLessThan(firstRefusedAt.Value, "readiness fails before the listener closes");
        up.StandardOutput.ShouldContain("Stopped accepting connections");
        up.StandardOutput.ShouldNotContain("possibly still queued");
    }

    private async Task RawClientAsync(int port, string key, bool write, CancellationToken stop)
    {
        using var client = new KeepAliveClient(port);
        while (!stop.IsCancellationRequested)
        {
            using var bound = new CancellationTokenSource(RequestBound);
            var exchange = write
                ? await client.SendAsync("POST", "/api/widgets", key, """{"name":"drain","kind":"banner","config":{"text":"x"}}""", bound.Token)
                : await client.SendAsync("GET", "/api/widgets?limit=3", key, null, bound.Token);
            Record(exchange, write ? "raw writer" : "raw reader");
            await BackOffWhenRefusedAsync(exchange);
        }
    }

    private async Task HttpClientAsync(int port, string key, bool write, CancellationToken stop)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseProxy = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = RequestBound,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        while (!stop.IsCancellationRequested)
        {
            Exchange exchange;
            try
            {
                using var response = write
                    ? await http.PostAsync("/api/widgets", new StringContent("""{"name":"drain","kind":"banner","config":{"text":"x"}}""", System.Text.Encoding.UTF8, "application/json"), CancellationToken.None)
                    : await http.GetAsync("/api/widgets?limit=3", CancellationToken.None);
                await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                exchange = new Exchange(ExchangeOutcome.Completed, (int)response.StatusCode, response.Headers.ConnectionClose == true, null);
            }
            catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                exchange = new Exchange(ExchangeOutcome.Refused, 0, false, "connection refused");
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                exchange = new Exchange(ExchangeOutcome.Failed, 0, false, $"{ex.GetType().Name}: {ex.Message} ({ex.InnerException?.Message})");
            }

            Record(exchange, write ? "HttpClient writer" : "HttpClient reader");
            await BackOffWhenRefusedAsync(exchange);
        }
    }

    /// <summary>Polls /health/ready on connections of its own until it answers 503; returns when (on the test's clock).</summary>
    private async Task<TimeSpan?> ReadinessFailsAsync(int port, CancellationToken stop)
    {
        using var client = new KeepAliveClient(port);
        while (!stop.IsCancellationRequested)
        {
            using var bound = new CancellationTokenSource(RequestBound);
            var exchange = await client.SendAsync("GET", "/health/ready", null, null, bound.Token);
            if (exchange is { Outcome: ExchangeOutcome.Completed, Status: 503 })
            {
                return _clock.Elapsed;
            }

            if (exchange.Outcome != ExchangeOutcome.Completed)
            {
                Record(exchange, "readiness probe");
            }

            await Task.Delay(20, CancellationToken.None); // a balancer's polling interval, much shortened
        }

        return null;
    }

    /// <summary>A client that was refused tries again a little later, as clients do, rather than spinning on connect.</summary>
    private static Task BackOffWhenRefusedAsync(Exchange exchange) =>
        exchange.Outcome == ExchangeOutcome.Refused ? Task.Delay(10, CancellationToken.None) : Task.CompletedTask;

    private void Record(Exchange exchange, string client) => _outcomes.Enqueue((_clock.Elapsed, exchange, client));
}
