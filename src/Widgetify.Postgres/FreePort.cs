using System.Net;
using System.Net.Sockets;

namespace Widgetify.Postgres;

/// <summary>Asks the OS for an unused loopback port.</summary>
public static class FreePort
{
    /// <summary>
    /// Binding port 0 lets the kernel choose; the port is released before the server binds it, so another
    /// process may grab it in between. That race is why a failed start is retried on a new port.
    /// </summary>
    public static int Pick()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>True when nothing listens on <paramref name="port"/> of 127.0.0.1 now (it may be taken a moment later).</summary>
    /// <param name="port">The port to try.</param>
    /// <returns>Whether it could be bound.</returns>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
