using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Widgetify.Api.Draining;

/// <summary>The listening sockets Kestrel binds (<see cref="Track"/> wraps
/// <c>SocketTransportOptions.CreateBoundListenSocket</c>), so that the drain can close them without resetting anyone.
/// Closing a listening socket resets the connections the kernel has completed but the server has not yet accepted:
/// a client that connected a moment before has sent its request and gets a reset. On Linux the drain therefore first
/// makes the kernel drop new connection attempts (<see cref="RefuseNew"/>: the client retries its SYN after a second
/// and is then refused, before it has sent anything), waits until the server has accepted what the queue holds
/// (<see cref="WaitUntilQueuesEmptyAsync"/>), and only then closes.</summary>
internal sealed class ListenSockets
{
    private const int SolSocket = 1;
    private const int SoAttachFilter = 26;
    private const int TcpInfo = 11;

    // tcp_info of a listening socket reports its accept queue's length in tcpi_unacked (after 8 one-byte fields and
    // rto, ato, snd_mss, rcv_mss).
    private const int TcpInfoUnackedOffset = 24;
    private static readonly TimeSpan QueuePoll = TimeSpan.FromMilliseconds(10);

    private readonly Lock _lock = new();
    private readonly List<Socket> _sockets = [];

    /// <summary>Remembers a listening socket; returns it.</summary>
    public Socket Track(Socket socket)
    {
        lock (_lock)
        {
            _sockets.Add(socket);
        }

        return socket;
    }

    /// <summary>Makes the kernel drop every new connection attempt on the tracked sockets (a classic BPF socket filter
    /// that keeps 0 bytes of each packet; connections already made, queued or accepted, are separate sockets that the
    /// filter does not reach). False where that is not possible (not Linux, or the kernel refused it).</summary>
    public bool RefuseNew()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || !BitConverter.IsLittleEndian)
        {
            return false;
        }

        // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } = { BPF_RET | BPF_K, 0, 0, 0 }: "return 0", drop.
        var program = new ulong[] { 0x06 };
        var pinned = GCHandle.Alloc(program, GCHandleType.Pinned);
        try
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the length, padding, the pointer.
            Span<byte> fprog = stackalloc byte[16];
            fprog.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(fprog, 1);
            BinaryPrimitives.WriteInt64LittleEndian(fprog[8..], pinned.AddrOfPinnedObject().ToInt64());
            var all = true;
            foreach (var socket in Snapshot())
            {
                try
                {
                    socket.SetRawSocketOption(SolSocket, SoAttachFilter, fprog); // the kernel copies the program
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    all = false;
                }
            }

            return all;
        }
        finally
        {
            pinned.Free();
        }
    }

    /// <summary>Waits until no tracked socket has a connection waiting to be accepted, at most <paramref name="bound"/>.
    /// The kernel has no notification for that, so this polls every 10 ms.</summary>
    /// <returns>True when the queues are empty (or cannot be read: then there is nothing to wait for).</returns>
    public async Task<bool> WaitUntilQueuesEmptyAsync(TimeSpan bound, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        while (Waiting() > 0)
        {
            if (timeProvider.GetElapsedTime(started) >= bound)
            {
                return false;
            }

            await Task.Delay(QueuePoll, timeProvider, cancellationToken);
        }

        return true;
    }

    /// <summary>Connections waiting in the tracked sockets' accept queues; 0 when they cannot be read.</summary>
    public int Waiting()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        Span<byte> info = stackalloc byte[256];
        var waiting = 0;
        foreach (var socket in Snapshot())
        {
            try
            {
                if (socket.GetRawSocketOption((int)ProtocolType.Tcp, TcpInfo, info) >= TcpInfoUnackedOffset + 4)
                {
                    waiting += (int)BinaryPrimitives.ReadUInt32LittleEndian(info[TcpInfoUnackedOffset..]);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Closed or not TCP (a Unix socket): nothing waits there that this could wait for.
            }
        }

        return waiting;
    }

    private Socket[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _sockets];
        }
    }
}
