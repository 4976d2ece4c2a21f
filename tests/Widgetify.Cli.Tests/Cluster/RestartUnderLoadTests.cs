using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Cli.Cluster;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Testing;
using Xunit.Abstractions;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>'cluster restart' under a steady open-loop load, on a 2-instance fleet with the default admission control
/// (issue 16: during a rolling restart no request may fail or be shed). The load is the fleet bench's shape, smaller:
/// requests sent at a fixed rate whether or not the earlier ones were answered, so a slow instance piles requests up
/// as real clients would, mostly embeds spread over a few hundred widgets (so a process that has just started has them
/// to read, as a fleet in production has), with some reads through the API, and one client that writes.</summary>
[Collection(SerialFleets.Name)]
public sealed class RestartUnderLoadTests(RestartUnderLoadTests.DefaultAdmissionFleet fleet, ITestOutputHelper output)
    : IClassFixture<RestartUnderLoadTests.DefaultAdmissionFleet>
{
    private static readonly TimeSpan WholeBound = TimeSpan.FromMinutes(3);

    /// <summary>Reads sent every tick of <see cref="Tick"/>: 180 a second, and the writer's 20.</summary>
    private const int ReadsPerTick = 18;

    /// <summary>Demo widgets the fleet is made with, which the embeds go round.</summary>
    private const int Widgets = 300;

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    /// <summary>Requests outstanding at most; one due beyond that counts as failed (the fleet fell that far behind).</summary>
    private const int MaxOutstanding = 400;

    private RunningCluster Cluster => fleet.Cluster;

    [Fact]
    public async Task Restart_UnderSteadyOpenLoopLoad_FailsAndShedsNoRequest()
    {
        await Cluster.WaitUntilWholeAsync(WholeBound);
        var pidsBefore = Cluster.State.Instances.ToDictionary(i => i.Name, i => i.Pid);
        // Idle connections are given up before HAProxy's 10 s 'timeout http-keep-alive' closes them: a request sent on a
        // connection HAProxy is closing at that moment fails to send, and a POST is not retried. A fresh clone's run failed
        // two creates "while sending the request" with 0 shed and 0 5xx from either instance, most likely so: the machine
        // was loaded and the restart's slow answers had grown the pool. Well-set clients keep their idle time under the
        // server's likewise. The failure now also prints the innermost error, which says more.
        using var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5) };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Cluster.DemoKey);
        var widgets = await WidgetIdsAsync();
        widgets.Length.ShouldBe(Widgets);

        // The fleet has just started, and HAProxy gives instances it starts with their full part at once (its slow start
        // applies to servers that come back, not to its own start): the same load first warms both up, uncounted.
        var warming = new Tally();
        await using (new OpenLoop(Cluster.Port, client, widgets, marker: null, warming))
        {
            await BoundedWait.UntilAsync(() => warming.Answered >= 600, warming.ToString, "the warm-up load had 600 answers", TimeSpan.FromSeconds(60));
        }

        // Then the same load for a few seconds: what the fleet does with it when nothing restarts. A shed here means the
        // machine is too busy for this load (other work on it), not that the restart shed.
        var steady = new Tally();
        await using (new OpenLoop(Cluster.Port, client, widgets, marker: null, steady))
        {
            await BoundedWait.UntilAsync(() => steady.Answered >= 600, steady.ToString, "the steady load had 600 answers", TimeSpan.FromSeconds(60));
        }

        // HAProxy counts each server's 5xx answers across restarts of the instance behind it: which instance shed, if one did.
        var errorsBefore = await ServerErrorsAsync();
        var during = new Tally();
        var marker = "restart-" + Guid.NewGuid().ToString("N")[..12];
        int exitCode;
        string stdout, stderr;
        var sampler = new InstanceSampler(Cluster.State.Instances.Select(i => (i.Name, i.Port)).ToArray());
        await using (sampler)
        await using (new OpenLoop(Cluster.Port, client, widgets, marker, during))
        {
            (exitCode, stdout, stderr) = await CliProcess.RunAsync("cluster", "restart", "--data-dir", Cluster.DataDir.Path);
        }

        var errorsAfter = await ServerErrorsAsync();
        var errorsByInstance = string.Join(", ", errorsAfter.Select(e => $"{e.Key} {e.Value - errorsBefore.GetValueOrDefault(e.Key)}"));
        output.WriteLine(stdout);
        output.WriteLine($"warming up: {warming}");
        output.WriteLine($"before the restart: {steady}");
        output.WriteLine($"during the restart: {during}; 5xx answers by instance (HAProxy): {errorsByInstance}");
        output.WriteLine("each instance at the end (its cache misses count from its own start):\n" + sampler.Last());
        exitCode.ShouldBe(0, stderr + stdout);
        during.Failed.ShouldBe(0, $"the balancer drains each instance before it stops and retries idempotent requests elsewhere: {during}");
        during.Shed.ShouldBe(0, $"a returning instance is warmed and ramped up before it gets its full part of the requests (before the restart: {steady}; during it: {during}; 5xx answers by instance: {errorsByInstance}; the restart's steps: {stdout}; each instance's admission and pool around the sheds:\n{sampler.Around(during.ShedSeconds)})");
        during.Served.ShouldBeGreaterThan(1000);
        var pidsAfter = Cluster.State.Instances.ToDictionary(i => i.Name, i => i.Pid);
        pidsAfter.ShouldAllBe(p => p.Value != null && p.Value != pidsBefore[p.Key], "every instance is a new process");
        stdout.ShouldContain("all 2 instance(s) restarted");

        await using var database = await DatabaseTarget.OpenAsync(null, Cluster.DataDir.Path, NullLogger.Instance, CancellationToken.None);
        // The service's own database and role (the admin connection string names the maintenance database).
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM widgets WHERE name = $1", connection) { Parameters = { new NpgsqlParameter { Value = marker } } };
        var stored = (long)(await count.ExecuteScalarAsync())!;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"POSTs answered 201: {during.Created}; widgets stored: {stored}"));
        during.Created.ShouldBeGreaterThan(0);
        stored.ShouldBe(during.Created, "each POST answered 201 made exactly one widget: none was applied twice");
    }

    private async Task<Dictionary<string, long>> ServerErrorsAsync() =>
        (await new HaproxyAdmin(Cluster.State.BalancerSocket).ServersAsync(CancellationToken.None)).ToDictionary(s => s.Name, s => s.ServerErrors);

    private async Task<string[]> WidgetIdsAsync()
    {
        await using var database = await DatabaseTarget.OpenAsync(null, Cluster.DataDir.Path, NullLogger.Instance, CancellationToken.None);
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT id FROM widgets ORDER BY id", connection);
        await using var reader = await select.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0).ToString());
        }

        return [.. ids];
    }

    /// <summary>What the load got: served (2xx, 304), shed (503 with Retry-After, by the reason its problem body names)
    /// and failed (anything else, with what it was).</summary>
    private sealed class Tally
    {
        private readonly ConcurrentDictionary<string, int> _shedReasons = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<long, int> _shedSeconds = new();
        private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
        private long _served;
        private long _created;

        public long Served => Interlocked.Read(ref _served);

        public long Created => Interlocked.Read(ref _created);

        public long Shed => _shedReasons.Values.Sum();

        public long Failed => _failures.Values.Sum();

        public long Answered => Served + Shed + Failed;

        /// <summary>The seconds from the start of this load in which a request was shed.</summary>
        public IReadOnlyCollection<long> ShedSeconds => [.. _shedSeconds.Keys];

        public void Serve(bool created)
        {
            Interlocked.Increment(ref _served);
            if (created)
            {
                Interlocked.Increment(ref _created);
            }
        }

        public void Fail(string what) => _failures.AddOrUpdate(what, 1, (_, n) => n + 1);

        public async Task RecordAsync(string what, HttpResponseMessage response)
        {
            if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
            {
                Serve(response.StatusCode == HttpStatusCode.Created);
            }
            else if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null)
            {
                _shedReasons.AddOrUpdate(await ReasonAsync(response), 1, (_, n) => n + 1);
                _shedSeconds.AddOrUpdate((long)System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds, 1, (_, n) => n + 1);
            }
            else
            {
                Fail($"{what}: HTTP {(int)response.StatusCode}");
            }
        }

        /// <summary>The served, shed (by reason, and by second from the start of this load) and failed counts.</summary>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Served} served, {Shed} shed ({Describe(_shedReasons)}; by second of the load: {(_shedSeconds.IsEmpty ? "-" : string.Join(" ", _shedSeconds.OrderBy(s => s.Key).Select(s => $"{s.Key}s:{s.Value}")))}), {Failed} failed ({Describe(_failures)})");

        private static string Describe(ConcurrentDictionary<string, int> counts) =>
            counts.IsEmpty ? "-" : string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} x{c.Value}"));

        private static async Task<string> ReasonAsync(HttpResponseMessage response)
        {
            try
            {
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                return body.RootElement.TryGetProperty("reason", out var reason) ? reason.GetString() ?? "?" : "no reason";
            }
            catch (JsonException)
            {
                return "not a problem body";
            }
        }
    }

    /// <summary>Sends <see cref="ReadsPerTick"/> reads every <see cref="Tick"/> through the balancer without waiting for
    /// their answers (an open loop: a stalled instance sees requests pile up), nine in ten embeds of the demo widgets and
    /// the rest an API list, and, with a marker, two POSTs a tick of widgets named by it. Disposing stops sending and
    /// waits (bounded) for the requests in flight.</summary>
    private sealed class OpenLoop : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _pacing;
        private readonly ConcurrentDictionary<Task, byte> _inFlight = new();

        public OpenLoop(int port, HttpClient client, string[] widgets, string? marker, Tally tally)
        {
            _pacing = Task.Run(async () =>
            {
                using var pace = new PeriodicTimer(Tick);
                var sent = 0L;
                while (await pace.WaitForNextTickAsync(CancellationToken.None) && !_stop.IsCancellationRequested)
                {
                    for (var i = 0; i < ReadsPerTick; i++, sent++)
                    {
                        var path = sent % 10 == 9 ? "/api/widgets?limit=3" : $"/w/{widgets[sent % widgets.Length]}";
                        Send(tally, "GET " + path.Split('?')[0], () => client.GetAsync(new Uri($"http://127.0.0.1:{port}{path}")));
                    }

                    for (var i = 0; marker is not null && i < 2; i++)
                    {
                        Send(tally, "POST /api/widgets", () => client.PostAsync(
                            new Uri($"http://127.0.0.1:{port}/api/widgets"),
                            new StringContent($$$"""{"name":"{{{marker}}}","kind":"banner","config":{"text":"x"}}""", System.Text.Encoding.UTF8, "application/json")));
                    }
                }
            });
        }

        private void Send(Tally tally, string what, Func<Task<HttpResponseMessage>> request)
        {
            if (_inFlight.Count >= MaxOutstanding)
            {
                tally.Fail("not sent: " + MaxOutstanding + " outstanding");
                return;
            }

            var task = Task.Run(async () =>
            {
                try
                {
                    using var response = await request();
                    await tally.RecordAsync(what, response);
                }
                catch (HttpRequestException ex)
                {
                    tally.Fail($"{what}: {ex.Message} ({ex.GetBaseException().Message})"); // the inner one says which side closed
                }
                catch (TaskCanceledException)
                {
                    tally.Fail($"{what}: no answer within 30 s");
                }
            });
            _inFlight[task] = 0;
            _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _pacing;
            await Task.WhenAll(_inFlight.Keys).WaitAsync(TimeSpan.FromSeconds(60));
            _stop.Dispose();
        }
    }

    /// <summary>Reads each instance's own /metrics (not through the balancer) every <see cref="Every"/>: its admission
    /// limit, requests in flight and queued, thread-pool lag, connection share, connections held and awaited, and its
    /// embed cache's misses and entries. A shed during the restart is printed with what the instances said around it: a
    /// limit held down by a small share, a queue behind a stalled process and a cold cache each look different here.</summary>
    private sealed class InstanceSampler : IAsyncDisposable
    {
        private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(250);

        /// <summary>Each series by its Prometheus name, and a label a line must have when one follows the name.</summary>
        private static readonly string[] Series =
        [
            "widgetify_admission_limit", "widgetify_admission_in_flight", "widgetify_admission_queued", "widgetify_admission_cpu_lag",
            "widgetify_pool_share", "widgetify_pool_connections_held", "widgetify_pool_connections_waiting",
            "widgetify_embed_cache_lookups_total result=\"miss\"", "widgetify_embed_cache_entries",
        ];

        private readonly ConcurrentQueue<(double Seconds, string Line)> _samples = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampling;

        public InstanceSampler(IReadOnlyList<(string Name, int Port)> instances)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            _sampling = Task.Run(async () =>
            {
                using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
                using var pace = new PeriodicTimer(Every);
                while (await pace.WaitForNextTickAsync(CancellationToken.None) && !_stop.IsCancellationRequested)
                {
                    foreach (var (name, port) in instances)
                    {
                        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
                        _samples.Enqueue((seconds, $"{name} {await ReadAsync(client, port)}"));
                    }
                }
            });
        }

        /// <summary>The samples within 2 s of the given seconds of the load (both count from about the same moment).</summary>
        public string Around(IReadOnlyCollection<long> seconds) => string.Join("\n", _samples
            .Where(s => seconds.Any(second => s.Seconds >= second - 2 && s.Seconds < second + 3))
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"  {s.Seconds:F2}s {s.Line}")));

        /// <summary>Each instance's last sample.</summary>
        public string Last() => string.Join("\n", _samples.GroupBy(s => s.Line.Split(' ')[0]).Select(g => "  " + g.Last().Line));

        private static async Task<string> ReadAsync(HttpClient client, int port)
        {
            try
            {
                var text = await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
                var lines = text.Split('\n');
                return string.Join(" ", Series.Select(spec =>
                {
                    // Summed over the series' labels (the limit and the queue are per priority), or over those with the label
                    // given after the name. The exporter appends the unit to a name in seconds.
                    var (series, label) = spec.Split(' ') is [var name, var with] ? (name, with) : (spec, "");
                    // A value that does not parse (+Inf, NaN) is left out: this is a diagnostic, never a reason to fail.
                    var values = lines
                        .Where(l => l.Split('{', ' ')[0] is var metric && (metric == series || metric == series + "_seconds") && l.Contains(label, StringComparison.Ordinal))
                        .Select(l => double.TryParse(l[(l.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN)
                        .Where(double.IsFinite).ToArray();
                    return string.Create(CultureInfo.InvariantCulture, $"{series["widgetify_".Length..]}={(values.Length == 0 ? "-" : values.Sum().ToString("0.###", CultureInfo.InvariantCulture))}");
                }));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                return "no answer (" + ex.GetBaseException().Message + ")";
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _sampling;
            _stop.Dispose();
        }
    }

    /// <summary>A 2-instance fleet with every admission setting at its default (unlike <see cref="TwoInstanceCluster"/>,
    /// whose admission never sheds): what is measured here is whether the restart sheds.</summary>
    public sealed class DefaultAdmissionFleet : IAsyncLifetime
    {
        private RunningCluster? _cluster;

        internal RunningCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

        public async Task InitializeAsync() => _cluster = await RunningCluster.StartAsync(2, new Dictionary<string, string>(), "--demo-widgets", Widgets.ToString(CultureInfo.InvariantCulture));

        public Task DisposeAsync()
        {
            _cluster?.Dispose();
            return Task.CompletedTask;
        }
    }
}
