using System.Net;
using System.Net.Sockets;
using Widgetify.Api.Draining;

namespace Widgetify.Api.Tests.Draining;

/// <summary>The kernel side of closing a listener without resetting anyone, on real loopback sockets.</summary>
public sealed class ListenSocketsTests
{
    [Fact]
    public async Task Waiting_ConnectionsNotYetAccepted_CountsThem()
    {
        // Arrange
        using var listener = Listen();
        var sockets = new ListenSockets();
        sockets.Track(listener);
        using var first = await ConnectAsync(listener);
        using var second = await ConnectAsync(listener);

        // Act & Assert (the handshake completes in the kernel, which queues the connection for accept)
        await BoundedWait.UntilAsync(() => sockets.Waiting() == 2, () => $"{sockets.Waiting()} waiting", "both connections are queued");
        using var accepted = await listener.AcceptAsync();
        sockets.Waiting().ShouldBe(1);
    }

    [Fact]
    public async Task RefuseNew_ConnectionAlreadyQueued_NewOnesDoNotCompleteAndTheQueuedOneIsServed()
    {
        // Arrange
        using var listener = Listen();
        var sockets = new ListenSockets();
        sockets.Track(listener);
        using var queued = await ConnectAsync(listener);
        await BoundedWait.UntilAsync(() => sockets.Waiting() == 1, () => $"{sockets.Waiting()} waiting", "the first connection is queued");

        // Act
        sockets.RefuseNew().ShouldBeTrue();

        // Assert: a new attempt gets no answer (its SYN is dropped; it would be refused once the listener closes) ...
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using (var bound = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            await Should.ThrowAsync<OperationCanceledException>(() => late.ConnectAsync((IPEndPoint)listener.LocalEndPoint!, bound.Token).AsTask());
        }

        sockets.Waiting().ShouldBe(1);

        // ... while the connection made before is accepted and carries data both ways.
        using var accepted = await listener.AcceptAsync();
        await queued.SendAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        (await accepted.ReceiveAsync(buffer)).ShouldBe(4);
        await accepted.SendAsync("pong"u8.ToArray());
        (await queued.ReceiveAsync(buffer)).ShouldBe(4);
        sockets.Waiting().ShouldBe(0);
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        return listener;
    }

    private static async Task<Socket> ConnectAsync(Socket listener)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        return client;
    }
}
