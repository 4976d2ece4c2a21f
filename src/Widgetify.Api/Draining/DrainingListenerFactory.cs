using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Widgetify.Api.Draining;

/// <summary>Kestrel's socket transport with its stop taken in two steps. Kestrel's own stop closes the listener and, in
/// the same moment, every connection that has no request in progress. A kept-alive client may be sending its next
/// request on such a connection just then, or may have just connected and not yet sent: the server closes a socket
/// with the request unread and the client gets a reset for a request that was never served (the 14-15 resets per stop
/// of issue 13). Here the listener closes first (<see cref="StopAcceptingAsync"/>: new connections are refused, which a
/// client can tell from a failure: nothing was sent), and the connections already accepted get time to bring their request, which is
/// served with <c>Connection: close</c>, before Kestrel closes what is left (<see cref="WaitUntilClosedAsync"/>).</summary>
internal sealed class DrainingListenerFactory(IOptions<SocketTransportOptions> options, ListenSockets sockets, ILoggerFactory loggerFactory)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>How long the server gets to accept the connections the kernel had queued when new ones began to be
    /// refused; the accept loop takes them in microseconds unless the machine is starved.</summary>
    private static readonly TimeSpan AcceptQueueBound = TimeSpan.FromSeconds(1);

    private readonly SocketTransportFactory _sockets = new(options, loggerFactory);
    private readonly Lock _lock = new();
    private readonly List<DrainingListener> _listeners = [];
    private int _open;
    private TaskCompletionSource? _allClosed;

    /// <summary>Connections accepted and not yet closed.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    public bool CanBind(EndPoint endpoint) => _sockets.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = new DrainingListener(await _sockets.BindAsync(endpoint, cancellationToken), this);
        lock (_lock)
        {
            _listeners.Add(listener);
        }

        return listener;
    }

    /// <summary>Closes every listener: from now on connections are refused. First new connection attempts are dropped
    /// and the ones the kernel has already queued are accepted (<see cref="ListenSockets"/>), so closing resets none.
    /// Kestrel's own stop, later, finds the listeners closed.</summary>
    /// <returns>Whether new attempts could be dropped first, and whether the queues were empty when the listeners closed.</returns>
    public async Task<(bool Refused, bool QueuesEmpty)> StopAcceptingAsync(TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var refused = sockets.RefuseNew();
        var queuesEmpty = await sockets.WaitUntilQueuesEmptyAsync(AcceptQueueBound, timeProvider, cancellationToken);
        DrainingListener[] listeners;
        lock (_lock)
        {
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            await listener.UnbindAsync(cancellationToken);
        }

        return (refused, queuesEmpty);
    }

    /// <summary>Waits until every accepted connection has closed (each closes after the response to the request it
    /// brings, being told <c>Connection: close</c>), at most <paramref name="bound"/>: one that sent nothing in that time
    /// is idle, and Kestrel's stop closes it. Call after <see cref="StopAcceptingAsync"/>, when the count only falls.</summary>
    /// <returns>True when none is left open.</returns>
    public async Task<bool> WaitUntilClosedAsync(TimeSpan bound, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var allClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _allClosed, allClosed);
        if (OpenConnections == 0)
        {
            return true; // the last one closed before the signal was armed
        }

        try
        {
            await allClosed.Task.WaitAsync(bound, timeProvider, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void Opened(ConnectionContext connection)
    {
        Interlocked.Increment(ref _open);
        // Fires once the transport has closed the socket, whoever closed it (registering on a fired token runs at once).
        connection.ConnectionClosed.Register(static state => ((DrainingListenerFactory)state!).Closed(), this);
    }

    private void Closed()
    {
        if (Interlocked.Decrement(ref _open) == 0)
        {
            Volatile.Read(ref _allClosed)?.TrySetResult();
        }
    }

    /// <summary>The socket listener, counting the connections it hands to Kestrel.</summary>
    private sealed class DrainingListener(IConnectionListener inner, DrainingListenerFactory owner) : IConnectionListener
    {
        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            var connection = await inner.AcceptAsync(cancellationToken);
            if (connection is not null)
            {
                owner.Opened(connection);
            }

            return connection;
        }

        // Called by the drain, then again by Kestrel's stop: closing a closed socket does nothing.
        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
