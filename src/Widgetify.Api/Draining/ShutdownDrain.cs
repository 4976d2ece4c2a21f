using Microsoft.Extensions.Options;

namespace Widgetify.Api.Draining;

/// <summary>The first step of a stop (SIGTERM, Ctrl-C, <c>StopAsync</c>), before the host stops the server and then the
/// background services: <c>/health/ready</c> fails and every response says <c>Connection: close</c>
/// (<see cref="IsDraining"/>); after <see cref="ApiOptions.DrainDelay"/>, in which a balancer's health check sees the
/// instance leave, the listener closes; then the connections already accepted get <see cref="ConnectionGrace"/> to bring
/// their request. Only then does Kestrel's own stop begin: requests still in flight finish within their deadline, and
/// the host stops the background services, whose registration order makes them flush in the order
/// <see cref="WidgetifyApplication"/> states, the connection-budget lease last.</summary>
internal sealed partial class ShutdownDrain(
    DrainingListenerFactory listeners, IOptions<WidgetifyOptions> options, TimeProvider timeProvider, ILogger<ShutdownDrain> logger)
    : IHostedLifecycleService
{
    /// <summary>How long connections accepted before the listener closed get to bring their request. A client that has
    /// just connected sends within milliseconds; one that sends nothing for this long is idle, and closing an idle
    /// kept-alive connection is what HTTP clients expect (they retry on a new one).</summary>
    internal static readonly TimeSpan ConnectionGrace = TimeSpan.FromSeconds(1);

    private long _drainingSince;

    /// <summary>Whether the instance is stopping: readiness fails and responses close their connection.</summary>
    public bool IsDraining => Volatile.Read(ref _drainingSince) != 0;

    /// <summary>When the drain began; null while the instance is not stopping.</summary>
    public DateTimeOffset? DrainingSince => Volatile.Read(ref _drainingSince) is var ticks and not 0
        ? new DateTimeOffset(ticks, TimeSpan.Zero)
        : null;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // The host's shutdown timeout cancels the token: whatever is left of the drain is then cut short, and Kestrel's
        // stop (which gets the same token) closes what is still open.
        Interlocked.CompareExchange(ref _drainingSince, timeProvider.GetUtcNow().UtcTicks, 0);
        var delay = options.Value.Api.DrainDelay;
        LogDraining(logger, delay.TotalSeconds);
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, timeProvider, cancellationToken);
            }

            var (refused, queuesEmpty) = await listeners.StopAcceptingAsync(timeProvider, cancellationToken);
            var open = listeners.OpenConnections;
            LogStoppedAccepting(logger, open);
            if (!refused || !queuesEmpty)
            {
                // Not Linux, or a starved machine: a client that connected in the last moment may have been reset.
                LogListenerClosedUnclean(logger, refused, queuesEmpty);
            }

            var started = timeProvider.GetTimestamp();
            if (await listeners.WaitUntilClosedAsync(ConnectionGrace, timeProvider, cancellationToken))
            {
                var seconds = timeProvider.GetElapsedTime(started).TotalSeconds;
                LogConnectionsClosed(logger, open, seconds);
            }
            else
            {
                LogConnectionsLeft(logger, listeners.OpenConnections, ConnectionGrace.TotalSeconds);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogDrainCutShort(logger);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Stopping: /health/ready fails from now on and responses close their connection; the listener closes in {DelaySeconds} s (Widgetify:Api:DrainDelay)")]
    private static partial void LogDraining(ILogger logger, double delaySeconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Stopped accepting connections; {Open} still open get their last request served")]
    private static partial void LogStoppedAccepting(ILogger logger, int open);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "All {Count} connection(s) closed after {Seconds:0.###} s")]
    private static partial void LogConnectionsClosed(ILogger logger, int count, double seconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information,
        Message = "{Open} connection(s) still open after {Seconds} s: in-flight requests finish within their deadline, idle connections are closed now")]
    private static partial void LogConnectionsLeft(ILogger logger, int open, double seconds);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning,
        Message = "The drain was cut short by the host's shutdown timeout; open connections are closed now")]
    private static partial void LogDrainCutShort(ILogger logger);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning,
        Message = "The listener closed with connections possibly still queued in the kernel (new connections dropped first: {Refused}, accept queue emptied: {QueuesEmpty}): a client that connected in that moment gets a reset")]
    private static partial void LogListenerClosedUnclean(ILogger logger, bool refused, bool queuesEmpty);
}
