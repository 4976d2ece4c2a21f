using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Data;

/// <summary>Takes this instance's connection lease, keeps it renewed, and keeps the admission limit and the pool
/// within the share it grants: when the share changes the admission ceiling follows, and when it shrinks the pool's
/// idle connections are closed so the connections go back to the fleet now rather than when they idle out.</summary>
internal sealed partial class ConnectionShareWiring : IAsyncDisposable
{
    private static readonly TimeSpan SharePoll = TimeSpan.FromMilliseconds(50);

    // Long enough for peers on the default 2 s heartbeat to renew (and shrink) several times.
    private static readonly TimeSpan WaitForShare = TimeSpan.FromSeconds(10);

    private readonly PoolGovernor _governor;
    private readonly AdmissionController _admission;
    private readonly WidgetifyDataSources _dataSources;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ConnectionShareWiring> _logger;
    private readonly Lock _startLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _start;
    private Task _heartbeats = Task.CompletedTask;
    private int _appliedShare = -1;

    public ConnectionShareWiring(
        PoolGovernor governor, AdmissionController admission, WidgetifyDataSources dataSources, TimeProvider timeProvider,
        ILogger<ConnectionShareWiring> logger)
    {
        _governor = governor;
        _admission = admission;
        _dataSources = dataSources;
        _timeProvider = timeProvider;
        _logger = logger;
        governor.ShareChanged += Apply;
    }

    /// <summary>Takes the first lease and starts renewing it (once, however many callers), then waits a bounded time
    /// for a non-zero share: a newcomer to a fleet gets connections only once its peers have shrunk on their next
    /// heartbeat, and serving before then would only shed.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_startLock)
        {
            // A failed start (database down) is retried by the next caller rather than remembered.
            if (_start is null || _start.IsFaulted || _start.IsCanceled)
            {
                _start = StartOnceAsync(cancellationToken);
            }

            return _start;
        }
    }

    private async Task StartOnceAsync(CancellationToken cancellationToken)
    {
        await _governor.StartAsync(cancellationToken);
        Apply(_governor.Current);
        _heartbeats = _governor.RunHeartbeatsAsync(_stopping.Token);

        var giveUp = _timeProvider.GetTimestamp();
        while (_governor.Current.Share == 0 && _timeProvider.GetElapsedTime(giveUp) < WaitForShare)
        {
            await Task.Delay(SharePoll, _timeProvider, cancellationToken);
        }

        if (_governor.Current.Share == 0)
        {
            LogNoShare(_logger, _governor.Current.Reason);
        }
    }

    /// <summary>Stops renewing and gives the lease back, so peers grow into this share on their next heartbeat.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _heartbeats;
        await _governor.StopAsync(cancellationToken);
    }

    private void Apply(PoolBudgetSnapshot snapshot)
    {
        var previous = Interlocked.Exchange(ref _appliedShare, snapshot.Share);
        _admission.SetCeiling(snapshot.Share);
        if (previous > snapshot.Share)
        {
            // Connections in use are closed when they are returned; idle ones now.
            _dataSources.Primary.Clear();
            LogShrunk(_logger, previous, snapshot.Share);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _governor.ShareChanged -= Apply;
        await _stopping.CancelAsync();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection share shrank from {Previous} to {Share}: idle pooled connections closed, admission ceiling lowered")]
    private static partial void LogShrunk(ILogger logger, int previous, int share);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Serving without a connection share yet (requests are shed and /health/ready fails until peers shrink): {Reason}")]
    private static partial void LogNoShare(ILogger logger, string reason);
}
