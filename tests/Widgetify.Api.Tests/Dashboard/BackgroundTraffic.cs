using System.Diagnostics;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Dashboard;

/// <summary>Steady anonymous traffic (a widget's embed and /health/live) while a test watches the dashboard, so
/// the signals have requests and the pool has connections. Bounded in count and time; it stops by itself.</summary>
public sealed class BackgroundTraffic : IAsyncDisposable
{
    private const int MaxRequests = 20_000;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(90);

    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _client;
    private readonly Task _loop;
    private int _sent;

    private BackgroundTraffic(WidgetifyServer server, Guid widgetId)
    {
        _client = server.CreateClient();
        _loop = Task.Run(() => RunAsync(widgetId));
    }

    public int Sent => Volatile.Read(ref _sent);

    public static BackgroundTraffic Start(WidgetifyServer server, Guid widgetId) => new(server, widgetId);

    private async Task RunAsync(Guid widgetId)
    {
        var clock = Stopwatch.StartNew();
        while (!_stop.IsCancellationRequested && Sent < MaxRequests && clock.Elapsed < MaxDuration)
        {
            try
            {
                using (await _client.GetAsync($"/w/{widgetId}", _stop.Token))
                using (await _client.GetAsync("/health/live", _stop.Token))
                {
                    Interlocked.Add(ref _sent, 2);
                }

                // About a hundred requests a second: plenty for the charts, little CPU taken from the browser.
                await Task.Delay(15, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _client.Dispose();
        _stop.Dispose();
    }
}
