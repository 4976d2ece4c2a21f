using System.Collections.Concurrent;
using System.Net.Http.Headers;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>A steady loop of the demo tenant's widget list (<c>GET /api/widgets?limit=3</c>) through a cluster's HAProxy,
/// by a few workers, for tests that no read fails while the fleet changes under it. Every 2xx is counted; anything else
/// (a status, a broken connection) is a failure, except while <see cref="Paused"/> (a fault the test caused on purpose,
/// during which the fleet may rightly refuse).</summary>
internal sealed class SteadyReads : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly List<Task> _workers;
    private int _served;
    private volatile bool _paused;

    private SteadyReads(RunningCluster cluster, int workers) =>
        _workers = Enumerable.Range(0, workers).Select(_ => Task.Run(() => ReadAsync(cluster))).ToList();

    /// <summary>GETs served (2xx) so far.</summary>
    public int Served => Volatile.Read(ref _served);

    /// <summary>What failed, in order.</summary>
    public IReadOnlyCollection<string> Failures => _failures;

    /// <summary>While true, failures are not recorded (and nothing that failed is counted as served).</summary>
    public bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    public static SteadyReads Start(RunningCluster cluster, int workers) => new(cluster, workers);

    /// <summary>Stops the workers and waits for their last requests (again: nothing more).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    /// <summary>Stops the workers if the test did not (it failed before): none outlives its cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task ReadAsync(RunningCluster cluster)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.DemoKey);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{cluster.Port}/api/widgets?limit=3"), CancellationToken.None);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _served);
                }
                else if (!_paused)
                {
                    _failures.Enqueue($"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (HttpRequestException ex) when (!_paused)
            {
                _failures.Enqueue(ex.Message);
            }
            catch (HttpRequestException)
            {
                // Paused: the fault the test caused may leave HAProxy with nowhere to send the request.
            }
        }
    }
}
