using System.Net;
using System.Net.Sockets;

namespace Widgetify.Bench.Processes;

/// <summary>Asks the kernel for an unused loopback port (released before use, so a start may race; the
/// processes started on it fail loudly if it does).</summary>
internal static class FreePort
{
    public static int Pick()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
